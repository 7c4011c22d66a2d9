// Compile-only stub (tests/test_android_app.py); never packaged. LiteRT Model.kt
// (tag v2.2.0 145c7523ff08 = main f67457790c9c):
//   data class TensorType @JvmOverloads constructor(val elementType: ElementType, val layout: Layout? = null)
//   enum class ElementType { INT, FLOAT, INT8, BOOLEAN, INT64 }
//   data class Layout @JvmOverloads constructor(val dimensions: List<Int>, val strides: List<Int> = listOf())
//     (+ @JvmOverloads constructor(dimensions: IntArray, strides: IntArray = intArrayOf()); val rank; val hasStrides)
// The JNI (litert_compiled_model_jni.cc ToJavaTensorType/ToJavaLayout) always fills the layout's dimensions.
package com.google.ai.edge.litert;

import java.util.List;

public final class TensorType {
    public TensorType(ElementType elementType, Layout layout) {
        throw new UnsupportedOperationException();
    }

    public TensorType(ElementType elementType) {
        throw new UnsupportedOperationException();
    }

    public final ElementType getElementType() {
        throw new UnsupportedOperationException();
    }

    public final Layout getLayout() { // nullable
        throw new UnsupportedOperationException();
    }

    public enum ElementType {
        INT,
        FLOAT,
        INT8,
        BOOLEAN,
        INT64
    }

    public static final class Layout {
        public Layout(List<Integer> dimensions, List<Integer> strides) {
            throw new UnsupportedOperationException();
        }

        public Layout(List<Integer> dimensions) {
            throw new UnsupportedOperationException();
        }

        public Layout(int[] dimensions, int[] strides) {
            throw new UnsupportedOperationException();
        }

        public Layout(int[] dimensions) {
            throw new UnsupportedOperationException();
        }

        public final List<Integer> getDimensions() {
            throw new UnsupportedOperationException();
        }

        public final List<Integer> getStrides() {
            throw new UnsupportedOperationException();
        }

        public final int getRank() {
            throw new UnsupportedOperationException();
        }

        public final boolean getHasStrides() {
            throw new UnsupportedOperationException();
        }
    }
}
