package dev.kokorolitert.desktop;

import com.sun.jna.NativeLibrary;

import java.util.concurrent.Callable;

/**
 * Runs a block with file descriptor 2 sent to /dev/null: LiteRT's C++ code logs every environment,
 * accelerator and delegate it creates or destroys to stderr, and its C API has no switch for that.
 * Java's own error lines are printed after the block. {@code KOKORO_LITERT_VERBOSE=1} keeps the logs.
 */
final class QuietStderr {
    private static final int O_WRONLY = 1;

    private QuietStderr() {
    }

    static <T> T call(Callable<T> body) throws Exception {
        if (System.getenv("KOKORO_LITERT_VERBOSE") != null) return body.call();
        NativeLibrary libc = NativeLibrary.getInstance("c");
        System.err.flush();
        int saved = libc.getFunction("dup").invokeInt(new Object[]{2});
        int devNull = libc.getFunction("open").invokeInt(new Object[]{"/dev/null", O_WRONLY});
        if (saved < 0 || devNull < 0) return body.call();
        libc.getFunction("dup2").invokeInt(new Object[]{devNull, 2});
        libc.getFunction("close").invokeInt(new Object[]{devNull});
        try {
            return body.call();
        } finally {
            System.err.flush();
            libc.getFunction("dup2").invokeInt(new Object[]{saved, 2});
            libc.getFunction("close").invokeInt(new Object[]{saved});
        }
    }
}
