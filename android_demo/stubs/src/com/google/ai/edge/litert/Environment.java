// Compile-only stub (tests/test_android_app.py); never packaged. LiteRT Environment.kt
// (tag v2.2.0 145c7523ff08; main f67457790c9c only adds Option.SystemGpuAcceleratorHandle):
//   class Environment private constructor(handle: Long) : JniHandle(handle)
//   companion: @Throws @JvmOverloads @JvmStatic fun create(options: Map<Option, String> = mapOf()): Environment
//              @Throws @JvmOverloads @JvmStatic fun create(context: Context, options = mapOf(), enableCompilerCache = true)
//   @Throws fun getAvailableAccelerators(): Set<Accelerator>   (the accelerators registered at creation)
// (The NpuAcceleratorProvider overloads are left out.)
package com.google.ai.edge.litert;

import android.content.Context;

import java.util.Map;
import java.util.Set;

public final class Environment extends JniHandle {
    Environment() {
        throw new UnsupportedOperationException();
    }

    public static Environment create() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static Environment create(Map<Option, String> options) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static Environment create(Context context) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static Environment create(Context context, Map<Option, String> options) throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public static Environment create(Context context, Map<Option, String> options, boolean enableCompilerCache)
            throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    public final Set<Accelerator> getAvailableAccelerators() throws LiteRtException {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void destroy() {
        throw new UnsupportedOperationException();
    }

    public enum Option {
        CompilerPluginLibraryDir,
        DispatchLibraryDir,
        SystemRuntimeHandle;

        public final int getValue() {
            throw new UnsupportedOperationException();
        }
    }
}
