package dev.kokorolitert.demo;

import android.app.Activity;
import android.media.AudioAttributes;
import android.media.AudioFormat;
import android.media.AudioTrack;
import android.os.Bundle;
import android.widget.ArrayAdapter;
import android.widget.Button;
import android.widget.EditText;
import android.widget.LinearLayout;
import android.widget.Spinner;
import android.widget.TextView;

import dev.kokorolitert.core.KokoroEngine;
import dev.kokorolitert.core.Manifest;
import dev.kokorolitert.core.Tokenizer;
import dev.kokorolitert.core.Voices;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Minimal demo: a phoneme box (misaki symbols; the app has no G2P), a voice spinner and a Speak
 * button. The bundle (manifest.json, *.tflite, voices.npz) is read from the app's external files
 * dir: adb push BUNDLE /sdcard/Android/data/dev.kokorolitert.demo/files/bundle
 */
public class MainActivity extends Activity {
    private static final String SAMPLE = "həlˈO wˈɜɹld, ðɪs ɪz kˈOkəɹO ɔn ˈændɹYd.";

    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private KokoroEngine engine;
    private AndroidGraphs graphs;
    private Tokenizer tokenizer;
    private Voices voices;
    private TextView status;
    private AudioTrack track;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        LinearLayout root = new LinearLayout(this);
        root.setOrientation(LinearLayout.VERTICAL);
        root.setPadding(32, 32, 32, 32);
        EditText text = new EditText(this);
        text.setText(SAMPLE);
        Spinner voice = new Spinner(this);
        Button speak = new Button(this);
        speak.setText("Speak");
        speak.setEnabled(false);
        status = new TextView(this);
        root.addView(text);
        root.addView(voice);
        root.addView(speak);
        root.addView(status);
        setContentView(root);

        File dir = new File(getExternalFilesDir(null), "bundle");
        status.setText("Loading " + dir + " ...");
        worker.execute(() -> {
            try {
                Manifest manifest;
                try (InputStream in = new FileInputStream(new File(dir, "manifest.json"))) {
                    manifest = Manifest.read(in);
                }
                try (InputStream in = new FileInputStream(new File(dir, manifest.voicesFile))) {
                    voices = Voices.readNpz(in);
                }
                tokenizer = new Tokenizer(manifest.vocab);
                graphs = new AndroidGraphs(dir, manifest.graphFiles, 4);
                engine = new KokoroEngine(manifest, graphs);
                runOnUiThread(() -> {
                    ArrayAdapter<String> adapter = new ArrayAdapter<>(this, android.R.layout.simple_spinner_item, voices.names());
                    voice.setAdapter(adapter);
                    int heart = voices.names().indexOf("af_heart");
                    if (heart >= 0) voice.setSelection(heart);
                    speak.setEnabled(true);
                    status.setText("Ready: buckets T" + java.util.Arrays.toString(manifest.tokenBuckets)
                            + " L" + java.util.Arrays.toString(manifest.frameBuckets));
                });
            } catch (Exception e) {
                runOnUiThread(() -> status.setText("Could not load the bundle from " + dir + ": " + e));
            }
        });

        speak.setOnClickListener(v -> {
            String phonemes = text.getText().toString();
            String name = (String) voice.getSelectedItem();
            speak.setEnabled(false);
            status.setText("Synthesising ...");
            worker.execute(() -> {
                try {
                    Set<String> dropped = tokenizer.unknown(phonemes);
                    int[] ids = tokenizer.encode(phonemes);
                    long t0 = System.nanoTime();
                    KokoroEngine.Utterance u = engine.speak(ids, voices.style(name, ids.length), 1.0f, new Random());
                    double secs = (System.nanoTime() - t0) / 1e9;
                    play(u.audio);
                    double dur = u.audio.length / 24000.0;
                    String msg = String.format("%.2f s of audio in %.2f s (RTF %.2f)%s", dur, secs, secs / dur,
                            dropped.isEmpty() ? "" : "; dropped symbols " + dropped);
                    runOnUiThread(() -> status.setText(msg));
                } catch (Exception e) {
                    runOnUiThread(() -> status.setText("Failed: " + e.getMessage()));
                } finally {
                    runOnUiThread(() -> speak.setEnabled(true));
                }
            });
        });
    }

    private void play(float[] audio) {
        if (track != null) track.release();
        track = new AudioTrack.Builder()
                .setAudioAttributes(new AudioAttributes.Builder().setUsage(AudioAttributes.USAGE_MEDIA)
                        .setContentType(AudioAttributes.CONTENT_TYPE_SPEECH).build())
                .setAudioFormat(new AudioFormat.Builder().setEncoding(AudioFormat.ENCODING_PCM_FLOAT)
                        .setSampleRate(24000).setChannelMask(AudioFormat.CHANNEL_OUT_MONO).build())
                .setTransferMode(AudioTrack.MODE_STATIC)
                .setBufferSizeInBytes(Math.max(4 * audio.length, 4))
                .build();
        track.write(audio, 0, audio.length, AudioTrack.WRITE_BLOCKING);
        track.play();
    }

    @Override
    protected void onDestroy() {
        worker.shutdownNow();
        if (track != null) track.release();
        if (graphs != null) graphs.close();
        super.onDestroy();
    }
}
