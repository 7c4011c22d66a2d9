// Compile-only stub (tests/test_android_app.py); never packaged. LiteRT Common.kt
// (tag v2.2.0 145c7523ff08 = main f67457790c9c): enum class Accelerator(val value: Int) { NONE, CPU, GPU, NPU }
package com.google.ai.edge.litert;

public enum Accelerator {
    NONE,
    CPU,
    GPU,
    NPU;

    public final int getValue() {
        throw new UnsupportedOperationException();
    }
}
