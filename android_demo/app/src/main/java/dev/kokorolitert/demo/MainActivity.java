package dev.kokorolitert.demo;

import android.app.Activity;
import android.media.AudioAttributes;
import android.media.AudioFormat;
import android.media.AudioTrack;
import android.os.Bundle;
import android.text.InputType;
import android.view.Gravity;
import android.widget.ArrayAdapter;
import android.widget.Button;
import android.widget.CheckBox;
import android.widget.EditText;
import android.widget.LinearLayout;
import android.widget.ScrollView;
import android.widget.SeekBar;
import android.widget.Spinner;
import android.widget.TextView;

import dev.kokorolitert.core.Kokoro;
import dev.kokorolitert.core.text.Chunker;

import java.io.File;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Kokoro-82M text to speech on LiteRT: type English text, pick a voice and a speed, Speak.
 *
 * <p><b>The bundle</b> (manifest.json, the .tflite graphs, voices.npz, the lexicon) is not packaged
 * in the APK: its fp32 graphs come to ~330 MB. Push it to the app's external files dir, which the
 * app reads without any storage permission:
 * <pre>
 *   adb push BUNDLE_DIR/. /sdcard/Android/data/dev.kokorolitert.demo/files/bundle/
 * </pre>
 * ({@code getExternalFilesDir(null)/bundle}; the directory exists once the app has run once, or
 * create it with {@code adb shell mkdir -p}). Opening it checks every file's sha256 and, on the
 * first run, XNNPACK packs the weights into the app's cache dir: both take a while.
 *
 * <p><b>Threads.</b> One worker thread loads the bundle and synthesises: {@link Kokoro#stream}
 * yields one sentence (or clause) per step. Each finished chunk goes to a player thread that writes
 * it to an {@link AudioTrack} (MODE_STREAM, ENCODING_PCM_FLOAT, 24 kHz mono), so playback starts
 * after the first chunk and goes on while the next ones are synthesised. Stop (or a new Speak)
 * cancels the job: synthesis stops before its next chunk (a chunk in progress finishes, unplayed),
 * the player stops within one 100 ms write and pauses and flushes the track. Only the player thread
 * touches the track; only the worker thread touches the Kokoro instance.
 */
public class MainActivity extends Activity {
    static final String SAMPLE = "Hello! This is Kokoro, a small text to speech model, running on your phone with LiteRT. "
            + "Each sentence starts playing while the next one is still being synthesised.";
    static final String DEFAULT_VOICE = "af_heart";
    static final float MIN_SPEED = 0.5f, MAX_SPEED = 2.0f, SPEED_STEP = 0.05f;

    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final Random rng = new Random();
    private Player player;
    private Kokoro kokoro;          // worker thread only
    private volatile Job current;   // the job that is speaking, if any
    private volatile boolean destroyed;

    private EditText text;
    private Spinner voice;
    private SeekBar speed;
    private TextView speedLabel, status;
    private Button speak, stop;
    private CheckBox gpu;

    /** One Speak: cancelled by Stop, by the next Speak and by onDestroy. */
    static final class Job {
        volatile boolean cancelled;
        final long startNs = System.nanoTime();
    }

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        LinearLayout root = new LinearLayout(this);
        root.setOrientation(LinearLayout.VERTICAL);
        root.setPadding(32, 32, 32, 32);

        text = new EditText(this);
        text.setInputType(InputType.TYPE_CLASS_TEXT | InputType.TYPE_TEXT_FLAG_MULTI_LINE);
        text.setMinLines(4);
        text.setGravity(Gravity.TOP | Gravity.START);
        text.setText(SAMPLE);

        voice = new Spinner(this);
        speedLabel = new TextView(this);
        speed = new SeekBar(this);
        speed.setMax(Math.round((MAX_SPEED - MIN_SPEED) / SPEED_STEP));
        speed.setProgress(Math.round((1.0f - MIN_SPEED) / SPEED_STEP));
        speedLabel.setText(speedText());
        speed.setOnSeekBarChangeListener(new SeekBar.OnSeekBarChangeListener() {
            @Override
            public void onProgressChanged(SeekBar seekBar, int progress, boolean fromUser) {
                speedLabel.setText(speedText());
            }

            @Override
            public void onStartTrackingTouch(SeekBar seekBar) {
            }

            @Override
            public void onStopTrackingTouch(SeekBar seekBar) {
            }
        });

        gpu = new CheckBox(this);
        gpu.setText("Run on the GPU (reloads the model)");
        speak = new Button(this);
        speak.setText("Speak");
        stop = new Button(this);
        stop.setText("Stop");
        status = new TextView(this);

        root.addView(text);
        root.addView(voice);
        root.addView(speedLabel);
        root.addView(speed);
        root.addView(gpu);
        root.addView(speak);
        root.addView(stop);
        root.addView(status);
        ScrollView scroll = new ScrollView(this);
        scroll.addView(root);
        setContentView(scroll);

        player = new Player(newTrack());
        speak.setOnClickListener(v -> speak());
        stop.setOnClickListener(v -> {
            cancelCurrent();
            status.setText("Stopped.");
        });
        gpu.setOnCheckedChangeListener((button, checked) -> load(checked));
        load(false);
    }

    private float speedValue() {
        return Math.min(MAX_SPEED, MIN_SPEED + SPEED_STEP * speed.getProgress());
    }

    private String speedText() {
        return String.format(Locale.US, "Speed %.2fx", speedValue());
    }

    private static int threads() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    /** (Re)opens the bundle on the worker thread. */
    private void load(boolean useGpu) {
        cancelCurrent();
        speak.setEnabled(false);
        gpu.setEnabled(false);
        File external = getExternalFilesDir(null);
        if (external == null) {
            status.setText("The app's external files dir is not available (no shared storage mounted).");
            gpu.setEnabled(true);
            return;
        }
        File dir = new File(external, "bundle");
        File cache = new File(getCacheDir(), "litert");
        status.setText("Loading the bundle from " + dir + " (checking files; the first run also packs the weights) ...");
        worker.execute(() -> {
            closeKokoro();
            if (destroyed) return;
            if (!new File(dir, "manifest.json").isFile()) {
                ui(() -> {
                    status.setText("No bundle in " + dir + ".\nPush one with:\n  adb push BUNDLE_DIR/. " + dir + "/\nthen restart the app.");
                    gpu.setEnabled(true);
                });
                return;
            }
            long t0 = System.nanoTime();
            AndroidGraphs[] made = new AndroidGraphs[1];
            try {
                Kokoro k = Kokoro.open(dir, (bundleDir, manifest) -> made[0] = new AndroidGraphs(bundleDir, manifest, cache, useGpu, threads()));
                if (destroyed) {
                    closeQuietly(k);
                    return;
                }
                kokoro = k;
                List<String> names = new ArrayList<>(k.voices());
                double secs = (System.nanoTime() - t0) / 1e9;
                String how = made[0] != null ? made[0].describe() : "?";
                ui(() -> {
                    Object previous = voice.getSelectedItem();
                    ArrayAdapter<String> adapter = new ArrayAdapter<>(this, android.R.layout.simple_spinner_item, names);
                    adapter.setDropDownViewResource(android.R.layout.simple_spinner_dropdown_item);
                    voice.setAdapter(adapter);
                    int pick = previous != null ? names.indexOf(previous.toString()) : -1;
                    if (pick < 0) pick = names.indexOf(DEFAULT_VOICE);
                    if (pick >= 0) voice.setSelection(pick);
                    status.setText(String.format(Locale.US, "Ready: %d voices, %s; loaded in %.1f s.", names.size(), how, secs));
                    speak.setEnabled(true);
                    gpu.setEnabled(true);
                });
            } catch (Exception | Error e) {
                String msg = "Could not load the bundle from " + dir + ": " + describe(e)
                        + (useGpu ? "\nUntick the GPU box to run on the CPU." : "");
                ui(() -> {
                    status.setText(msg);
                    gpu.setEnabled(true);
                });
            }
        });
    }

    private void speak() {
        String input = text.getText().toString();
        Object selected = voice.getSelectedItem();
        if (selected == null) return;
        String name = selected.toString();
        float s = speedValue();
        cancelCurrent();
        Job job = new Job();
        current = job;
        status.setText("Synthesising ...");
        worker.execute(() -> synthesize(job, input, name, s));
    }

    /** Worker thread: one chunk per step, each handed to the player as soon as it is ready. */
    private void synthesize(Job job, String input, String name, float s) {
        Kokoro k = kokoro;
        if (job.cancelled || k == null) return;
        int chunks = 0;
        double audioS = 0, synthS = 0, firstAudioS = -1;
        Set<String> dropped = new LinkedHashSet<>();
        try {
            long c0 = System.nanoTime();
            Iterator<Kokoro.Chunk> it = k.stream(input, name, s, rng);
            while (!job.cancelled && it.hasNext()) {
                Kokoro.Chunk chunk = it.next();
                long c1 = System.nanoTime();
                synthS += (c1 - c0) / 1e9;
                c0 = c1;
                if (job.cancelled) break;
                player.enqueue(job, chunk.audio);
                chunks++;
                audioS += chunk.audio.length / (double) Kokoro.SAMPLE_RATE;
                dropped.addAll(chunk.dropped);
                if (firstAudioS < 0) firstAudioS = (c1 - job.startNs) / 1e9;
                String msg = String.format(Locale.US, "Sentence %d: %.1f s of audio in %.1f s so far (RTF %.2f); first sentence ready after %.1f s.%s",
                        chunks, audioS, synthS, synthS / audioS, firstAudioS, droppedText(dropped));
                if (current == job) ui(() -> status.setText(msg));
            }
            player.end(job);
            if (job.cancelled) return;
            String msg = String.format(Locale.US, "Done: %d sentence%s, %.1f s of audio synthesised in %.1f s (RTF %.2f); first sentence ready after %.1f s.%s",
                    chunks, chunks == 1 ? "" : "s", audioS, synthS, audioS > 0 ? synthS / audioS : 0, firstAudioS, droppedText(dropped));
            if (current == job) ui(() -> status.setText(msg));
        } catch (Exception | Error e) {
            player.end(job);
            String msg;
            if (e instanceof Chunker.TextTooLong) msg = "Cannot speak this text: " + e.getMessage();
            else if (e instanceof IllegalArgumentException) msg = "Cannot speak this: " + e.getMessage();
            else msg = "Synthesis failed: " + describe(e);
            if (current == job) ui(() -> status.setText(msg));
        }
    }

    private static String droppedText(Set<String> dropped) {
        return dropped.isEmpty() ? "" : "\nDropped (no pronunciation): " + String.join(", ", dropped);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private void cancelCurrent() {
        Job job = current;
        if (job != null) {
            job.cancelled = true;
            if (player != null) player.end(job);
        }
        current = null;
    }

    /** Worker thread only. */
    private void closeKokoro() {
        Kokoro k = kokoro;
        kokoro = null;
        if (k != null) closeQuietly(k);
    }

    private static void closeQuietly(Kokoro k) {
        try {
            k.close();
        } catch (Exception ignored) {
            // closing native models: nothing left to do with an error here
        }
    }

    private void ui(Runnable r) {
        if (!destroyed) runOnUiThread(r);
    }

    private static AudioTrack newTrack() {
        int min = AudioTrack.getMinBufferSize(Kokoro.SAMPLE_RATE, AudioFormat.CHANNEL_OUT_MONO, AudioFormat.ENCODING_PCM_FLOAT);
        int quarterSecond = 4 * Kokoro.SAMPLE_RATE / 4; // float32 mono
        return new AudioTrack.Builder()
                .setAudioAttributes(new AudioAttributes.Builder()
                        .setUsage(AudioAttributes.USAGE_MEDIA)
                        .setContentType(AudioAttributes.CONTENT_TYPE_SPEECH)
                        .build())
                .setAudioFormat(new AudioFormat.Builder()
                        .setEncoding(AudioFormat.ENCODING_PCM_FLOAT)
                        .setSampleRate(Kokoro.SAMPLE_RATE)
                        .setChannelMask(AudioFormat.CHANNEL_OUT_MONO)
                        .build())
                .setTransferMode(AudioTrack.MODE_STREAM)
                .setBufferSizeInBytes(Math.max(min, quarterSecond))
                .build();
    }

    /**
     * Writes chunks to the track on its own thread, in slices of 100 ms so that a cancelled job
     * stops within one slice. A job's chunks play back to back; its end marker stops the track
     * after what was written has played (AudioTrack.stop in MODE_STREAM), a cancelled job's
     * remainder is dropped (pause + flush).
     */
    private static final class Player implements Runnable {
        private static final int SLICE = Kokoro.SAMPLE_RATE / 10;
        private static final float[] END = new float[0];
        private static final Item QUIT = new Item(null, null);

        private static final class Item {
            final Job job;
            final float[] audio; // END marks the job's end

            Item(Job job, float[] audio) {
                this.job = job;
                this.audio = audio;
            }
        }

        private final BlockingQueue<Item> queue = new LinkedBlockingQueue<>();
        private final AudioTrack track;

        Player(AudioTrack track) {
            this.track = track;
            Thread t = new Thread(this, "kokoro-player");
            t.setDaemon(true);
            t.start();
        }

        void enqueue(Job job, float[] audio) {
            queue.add(new Item(job, audio));
        }

        void end(Job job) {
            queue.add(new Item(job, END));
        }

        /** Releases the track once the thread is done with it. */
        void quit() {
            queue.add(QUIT);
        }

        @Override
        public void run() {
            try {
                while (true) {
                    Item item = queue.take();
                    if (item == QUIT) break;
                    if (item.job.cancelled) {
                        drop();
                        continue;
                    }
                    if (item.audio == END) {
                        track.stop(); // plays out what is queued, then stops
                        continue;
                    }
                    if (track.getPlayState() != AudioTrack.PLAYSTATE_PLAYING) track.play();
                    float[] a = item.audio;
                    for (int off = 0; off < a.length && !item.job.cancelled; ) {
                        int n = track.write(a, off, Math.min(SLICE, a.length - off), AudioTrack.WRITE_BLOCKING);
                        if (n <= 0) break; // an error code, or a stopped track: drop the rest of this chunk
                        off += n;
                    }
                    if (item.job.cancelled) drop();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IllegalStateException e) {
                // the track could not be (re)started: nothing more can be played
            } finally {
                track.release();
            }
        }

        private void drop() {
            if (track.getPlayState() == AudioTrack.PLAYSTATE_PLAYING) track.pause();
            track.flush();
        }
    }

    @Override
    protected void onDestroy() {
        destroyed = true;
        cancelCurrent();
        if (player != null) player.quit(); // the player thread releases the track
        // The worker may be inside a graph run: close Kokoro (its native models) after it, on the
        // worker itself, then let the thread end. The executor runs queued tasks in order.
        worker.execute(this::closeKokoro);
        worker.shutdown();
        super.onDestroy();
    }
}
