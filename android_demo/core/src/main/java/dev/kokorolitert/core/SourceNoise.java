package dev.kokorolitert.core;

import java.util.Random;

/**
 * The randomness Kokoro's SineGen draws, made explicit (runtime/dsp.py SourceNoise).
 * randIni [9] is accepted for parity with torch's RNG use but never reaches the output;
 * noise is [samples, 9] row-major standard normal values.
 */
public final class SourceNoise {
    public final float[] randIni;
    public final float[] noise;
    public final int nSamples;

    public SourceNoise(float[] randIni, float[] noise) {
        if (randIni.length != Dsp.N_HARMONICS || noise.length % Dsp.N_HARMONICS != 0)
            throw new IllegalArgumentException("SourceNoise: randIni [9] and noise [samples, 9] expected");
        this.randIni = randIni;
        this.noise = noise;
        this.nSamples = noise.length / Dsp.N_HARMONICS;
    }

    public static SourceNoise zeros(int nSamples) {
        return new SourceNoise(new float[Dsp.N_HARMONICS], new float[nSamples * Dsp.N_HARMONICS]);
    }

    /** Gaussian noise from a java.util.Random (the app's default; not bit-identical to numpy's draws). */
    public static SourceNoise draw(Random rng, int nSamples) {
        float[] ini = new float[Dsp.N_HARMONICS];
        for (int i = 0; i < ini.length; i++) ini[i] = rng.nextFloat();
        float[] nz = new float[nSamples * Dsp.N_HARMONICS];
        for (int i = 0; i < nz.length; i++) nz[i] = (float) rng.nextGaussian();
        return new SourceNoise(ini, nz);
    }
}
