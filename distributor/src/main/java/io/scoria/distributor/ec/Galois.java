package io.scoria.distributor.ec;

/**
 * Arithmetic in GF(2^8) with the polynomial x^8+x^4+x^3+x^2+1 (0x11d, as ISA-L and
 * Backblaze use), plus the small matrix algebra Reed-Solomon needs. Tables are built once;
 * everything here is stateless and thread-safe.
 */
final class Galois {
    private static final int POLY = 0x11d;
    private static final byte[] EXP = new byte[512];
    private static final int[] LOG = new int[256];
    /** {@code MUL[a * 256 + b] = a * b}; 64 KiB, the scalar codec's lookup table. */
    static final byte[] MUL = new byte[256 * 256];
    /** {@code MUL_ROWS[a][b] = a * b}: one 256-byte row per coefficient, for the scalar loops. */
    static final byte[][] MUL_ROWS = new byte[256][256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = (byte) x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= POLY;
            }
        }
        for (int i = 255; i < EXP.length; i++) {
            EXP[i] = EXP[i - 255];
        }
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                MUL[(a << 8) | b] = (byte) slowMultiply(a, b);
                MUL_ROWS[a][b] = MUL[(a << 8) | b];
            }
        }
    }

    private Galois() {
    }

    private static int slowMultiply(int a, int b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return EXP[LOG[a] + LOG[b]] & 0xff;
    }

    static int multiply(int a, int b) {
        return MUL[((a & 0xff) << 8) | (b & 0xff)] & 0xff;
    }

    static int inverse(int a) {
        if (a == 0) {
            throw new ArithmeticException("0 has no inverse in GF(2^8)");
        }
        return EXP[255 - LOG[a]] & 0xff;
    }

    /**
     * The systematic generator matrix: {@code total} rows of {@code data} columns, the first
     * {@code data} rows the identity, the others a Cauchy matrix {@code 1 / (i xor j)}, so any
     * {@code data} rows form an invertible matrix.
     */
    static byte[][] generator(int data, int total) {
        byte[][] m = new byte[total][data];
        for (int i = 0; i < total; i++) {
            for (int j = 0; j < data; j++) {
                m[i][j] = (byte) (i < data ? (i == j ? 1 : 0) : inverse(i ^ j));
            }
        }
        return m;
    }

    /** Inverts a square matrix by Gauss-Jordan elimination; the input is not modified. */
    static byte[][] invert(byte[][] matrix) {
        int n = matrix.length;
        int[][] a = new int[n][2 * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = matrix[i][j] & 0xff;
            }
            a[i][n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            while (pivot < n && a[pivot][col] == 0) {
                pivot++;
            }
            if (pivot == n) {
                throw new ArithmeticException("matrix is singular");
            }
            int[] t = a[pivot];
            a[pivot] = a[col];
            a[col] = t;
            int scale = inverse(a[col][col]);
            for (int j = 0; j < 2 * n; j++) {
                a[col][j] = multiply(a[col][j], scale);
            }
            for (int r = 0; r < n; r++) {
                int f = a[r][col];
                if (r != col && f != 0) {
                    for (int j = 0; j < 2 * n; j++) {
                        a[r][j] ^= multiply(f, a[col][j]);
                    }
                }
            }
        }
        byte[][] inv = new byte[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                inv[i][j] = (byte) a[i][n + j];
            }
        }
        return inv;
    }

    /** Row vector {@code row} times matrix {@code m}. */
    static byte[] times(byte[] row, byte[][] m) {
        int cols = m[0].length;
        byte[] out = new byte[cols];
        for (int j = 0; j < cols; j++) {
            int acc = 0;
            for (int i = 0; i < row.length; i++) {
                acc ^= multiply(row[i], m[i][j]);
            }
            out[j] = (byte) acc;
        }
        return out;
    }
}
