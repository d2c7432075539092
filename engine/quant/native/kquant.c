/* Tuneforge's K-quant encoder: the blocks ggml's reference quantizers write
 * (quantize_row_q4_K_ref, _q5_K_ref, _q6_K_ref), byte for byte, with the scale search of the
 * sub-blocks of a super-block (32 values; Q6_K: 16) run side by side in SIMD lanes
 * (AVX2: 8 lanes, SSE2: 4).
 *
 * Byte identity rests on doing, per lane, the very float32 operations of the scalar C in
 * the same order: build with floating-point contraction off and without FMA
 * (-ffp-contract=off, never -march=native; MSVC /fp:precise). The Python side compares
 * our blocks with ggml's at load time and falls back to ggml on any difference.
 * Written for Tuneforge from the published block formats; x86-64 only.
 */
#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER)
#define TF_EXPORT __declspec(dllexport)
#else
#define TF_EXPORT __attribute__((visibility("default")))
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define TF_X86 1
#include <immintrin.h>
#if defined(_MSC_VER)
#include <intrin.h>
#endif
#endif

#define QK 256

TF_EXPORT int tf_kquant_abi(void) { return 1; }

#ifdef TF_X86

/* ---- scalar helpers ------------------------------------------------------------ */

/* round half to even via the 1.5 * 2^23 bias; valid for |v| <= 2^22, like ggml's */
static int round_biased(float v) {
    float biased = v + 12582912.0f;
    int32_t bits;
    memcpy(&bits, &biased, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

static uint16_t half_from_float(float f) {
    uint32_t w, a, sign, h, rem;
    memcpy(&w, &f, sizeof w);
    sign = (w >> 16) & 0x8000u;
    a = w & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u); /* NaN */
    if (a >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) { /* below 2^-14: a half subnormal or zero */
        uint32_t e = a >> 23, m, shift, q, halfway;
        if (e == 0) return (uint16_t)sign;
        m = (a & 0x7fffffu) | 0x800000u;
        shift = 126u - e; /* value in units of 2^-24 is m >> shift */
        if (shift >= 25u) return (uint16_t)sign;
        q = m >> shift;
        rem = m & ((1u << shift) - 1u);
        halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (q & 1u))) ++q;
        return (uint16_t)(sign | q);
    }
    h = (a >> 13) - (112u << 10);
    rem = a & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    if (h > 0x7c00u) h = 0x7c00u;
    return (uint16_t)(sign | h);
}

static float float_from_half(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, w;
    float f;
    if (e == 0) {
        f = (float)m * 5.9604644775390625e-08f; /* exact: m * 2^-24 */
        memcpy(&w, &f, sizeof w);
        w |= sign;
    } else if (e == 31) {
        w = sign | 0x7f800000u | (m << 13);
    } else {
        w = sign | ((e + 112u) << 23) | (m << 13);
    }
    memcpy(&f, &w, sizeof f);
    return f;
}

/* ---- the search, once per instruction set ---------------------------------------- */

#define LANES 4
#define VF __m128
#define VI __m128i
#define SEARCH search_sse2
#define SEARCH_QX search_qx_sse2
#define V_CMPNEQ(a, b) _mm_cmpneq_ps(a, b)
#define V_SET1(a) _mm_set1_ps(a)
#define V_SET1I(a) _mm_set1_epi32(a)
#define V_LOAD(p) _mm_loadu_ps(p)
#define V_STORE(p, a) _mm_storeu_ps(p, a)
#define V_ADD(a, b) _mm_add_ps(a, b)
#define V_SUB(a, b) _mm_sub_ps(a, b)
#define V_MUL(a, b) _mm_mul_ps(a, b)
#define V_DIV(a, b) _mm_div_ps(a, b)
#define V_SQRT(a) _mm_sqrt_ps(a)
#define V_MIN(a, b) _mm_min_ps(a, b)
#define V_MAX(a, b) _mm_max_ps(a, b)
#define V_AND(a, b) _mm_and_ps(a, b)
#define V_ANDNOT(m, a) _mm_andnot_ps(m, a)
#define V_XOR(a, b) _mm_xor_ps(a, b)
#define V_SEL(m, a, b) _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b))
#define V_CMPGT(a, b) _mm_cmpgt_ps(a, b)
#define V_CMPLT(a, b) _mm_cmplt_ps(a, b)
#define V_CMPEQ(a, b) _mm_cmpeq_ps(a, b)
#define V_ANY(m) (_mm_movemask_ps(m) != 0)
#define V_CASTFI(a) _mm_castps_si128(a)
#define V_CASTIF(a) _mm_castsi128_ps(a)
#define V_ANDI(a, b) _mm_and_si128(a, b)
#define V_SUBI(a, b) _mm_sub_epi32(a, b)
#define V_CVTIF(a) _mm_cvtepi32_ps(a)
#define TF_TARGET
#include "kquant_search.h"
#include "kquant_qx.h"
#undef LANES
#undef VF
#undef VI
#undef SEARCH
#undef SEARCH_QX
#undef V_CMPNEQ
#undef V_SET1
#undef V_SET1I
#undef V_LOAD
#undef V_STORE
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_SQRT
#undef V_MIN
#undef V_MAX
#undef V_AND
#undef V_ANDNOT
#undef V_XOR
#undef V_SEL
#undef V_CMPGT
#undef V_CMPLT
#undef V_CMPEQ
#undef V_ANY
#undef V_CASTFI
#undef V_CASTIF
#undef V_ANDI
#undef V_SUBI
#undef V_CVTIF
#undef TF_TARGET

#if defined(_MSC_VER)
#define TF_TARGET
#else
#define TF_TARGET __attribute__((target("avx2")))
#endif
#define LANES 8
#define VF __m256
#define VI __m256i
#define SEARCH search_avx2
#define SEARCH_QX search_qx_avx2
#define V_CMPNEQ(a, b) _mm256_cmp_ps(a, b, _CMP_NEQ_UQ)
#define V_SET1(a) _mm256_set1_ps(a)
#define V_SET1I(a) _mm256_set1_epi32(a)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, a) _mm256_storeu_ps(p, a)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_DIV(a, b) _mm256_div_ps(a, b)
#define V_SQRT(a) _mm256_sqrt_ps(a)
#define V_MIN(a, b) _mm256_min_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_AND(a, b) _mm256_and_ps(a, b)
#define V_ANDNOT(m, a) _mm256_andnot_ps(m, a)
#define V_XOR(a, b) _mm256_xor_ps(a, b)
#define V_SEL(m, a, b) _mm256_blendv_ps(b, a, m)
#define V_CMPGT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define V_CMPLT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define V_CMPEQ(a, b) _mm256_cmp_ps(a, b, _CMP_EQ_OQ)
#define V_ANY(m) (_mm256_movemask_ps(m) != 0)
#define V_CASTFI(a) _mm256_castps_si256(a)
#define V_CASTIF(a) _mm256_castsi256_ps(a)
#define V_ANDI(a, b) _mm256_and_si256(a, b)
#define V_SUBI(a, b) _mm256_sub_epi32(a, b)
#define V_CVTIF(a) _mm256_cvtepi32_ps(a)
#include "kquant_search.h"
#include "kquant_qx.h"

typedef void (*search_fn)(const float *, int, const float *, int, float *, float *, uint8_t *);
typedef void (*search_qx_fn)(const float *, const float *, float *, uint8_t *);

static int cpu_has_avx2(void) {
#if defined(_MSC_VER)
    int info[4];
    __cpuid(info, 0);
    if (info[0] < 7) return 0;
    __cpuid(info, 1);
    if (!(info[2] & (1 << 27)) || !(info[2] & (1 << 28))) return 0; /* OSXSAVE, AVX */
    if ((_xgetbv(0) & 6) != 6) return 0;                            /* XMM+YMM state */
    __cpuidex(info, 7, 0);
    return (info[1] & (1 << 5)) != 0;
#else
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#endif
}

static int g_level = -1; /* 1: SSE2, 2: AVX2 */

TF_EXPORT int tf_kquant_level(void) {
    if (g_level < 0) g_level = cpu_has_avx2() ? 2 : 1;
    return g_level;
}

/* 0: automatic; 1: SSE2; 2: AVX2 (refused without the CPU). Returns the level in use. */
TF_EXPORT int tf_kquant_set_level(int level) {
    int best = cpu_has_avx2() ? 2 : 1;
    g_level = (level <= 0 || level > best) ? best : level;
    return g_level;
}

/* ---- super-blocks ----------------------------------------------------------------- */

/* One super-block of a "scale + min" K-type: per-sub-block scale/min search, the 6-bit
 * scale/min codes, the two fp16 factors and the final levels L[256] (0..nmax). */
static void scale_min_block(const float *x, int nmax, const float *steps, int nstep,
                            search_fn search, int lanes, uint16_t *d_out, uint16_t *dmin_out,
                            uint8_t *sc, uint8_t *L) {
    float xt[32 * 8], scales[8], mins[8], max_scale = 0, max_min = 0, inv_scale, inv_min;
    uint8_t lt[32 * 8];
    int g, i, j, lane;

    for (g = 0; g < 8; g += lanes) {
        for (lane = 0; lane < lanes; ++lane)
            for (i = 0; i < 32; ++i) xt[i * lanes + lane] = x[32 * (g + lane) + i];
        search(xt, nmax, steps, nstep, scales + g, mins + g, lt);
        for (lane = 0; lane < lanes; ++lane)
            for (i = 0; i < 32; ++i) L[32 * (g + lane) + i] = lt[i * lanes + lane];
    }
    for (j = 0; j < 8; ++j) {
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (j = 0; j < 8; ++j) {
        uint8_t ls = (uint8_t)round_biased(inv_scale * scales[j]);
        uint8_t lm = (uint8_t)round_biased(inv_min * mins[j]);
        if (ls > 63) ls = 63;
        if (lm > 63) lm = 63;
        if (j < 4) {
            sc[j] = ls;
            sc[j + 4] = lm;
        } else {
            sc[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            sc[j - 4] |= (uint8_t)((ls >> 4) << 6);
            sc[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    *d_out = half_from_float(max_scale / 63.f);
    *dmin_out = half_from_float(max_min / 63.f);

    {
        const float dd = float_from_half(*d_out), dmd = float_from_half(*dmin_out);
        const __m128 magic = _mm_set1_ps(12582912.0f), zero = _mm_setzero_ps();
        const __m128 top = _mm_set1_ps((float)nmax);
        const __m128i mant = _mm_set1_epi32(0x007fffff), half = _mm_set1_epi32(0x00400000);
        for (j = 0; j < 8; ++j) {
            uint8_t s, m;
            float d, dm;
            if (j < 4) {
                s = sc[j] & 63;
                m = sc[j + 4] & 63;
            } else {
                s = (uint8_t)((sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4));
                m = (uint8_t)((sc[j + 4] >> 4) | ((sc[j] >> 6) << 4));
            }
            d = dd * s;
            if (!d) continue;
            dm = dmd * m;
            {
                const __m128 vd = _mm_set1_ps(d), vdm = _mm_set1_ps(dm);
                for (i = 0; i < 32; i += 4) {
                    __m128 v = _mm_div_ps(_mm_add_ps(_mm_loadu_ps(x + 32 * j + i), vdm), vd);
                    __m128i b = _mm_sub_epi32(
                        _mm_and_si128(_mm_castps_si128(_mm_add_ps(v, magic)), mant), half);
                    __m128 l = _mm_min_ps(top, _mm_max_ps(zero, _mm_cvtepi32_ps(b)));
                    __m128i li = _mm_cvttps_epi32(l);
                    int32_t tmp[4];
                    _mm_storeu_si128((__m128i *)tmp, li);
                    L[32 * j + i] = (uint8_t)tmp[0];
                    L[32 * j + i + 1] = (uint8_t)tmp[1];
                    L[32 * j + i + 2] = (uint8_t)tmp[2];
                    L[32 * j + i + 3] = (uint8_t)tmp[3];
                }
            }
        }
    }
}

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)(v >> 8);
}

static void step_table(int nmax, float rmin, float rdelta, int nstep, float *steps) {
    int is;
    for (is = 0; is <= nstep; ++is) steps[is] = rmin + rdelta * (float)is + (float)nmax;
}

static search_fn pick(int *lanes) {
    if (tf_kquant_level() >= 2) {
        *lanes = 8;
        return search_avx2;
    }
    *lanes = 4;
    return search_sse2;
}

/* Q4_K: 144-byte blocks (d, dmin, scales[12], qs[128]); n_blocks super-blocks of 256. */
TF_EXPORT int tf_quantize_q4_K(const float *x, uint8_t *y, int64_t n_blocks) {
    float steps[21];
    uint8_t L[QK];
    int lanes, j, l;
    int64_t b;
    search_fn search = pick(&lanes);
    step_table(15, -1.f, 0.1f, 20, steps);
    for (b = 0; b < n_blocks; ++b, x += QK, y += 144) {
        uint16_t d, dmin;
        uint8_t *q = y + 16;
        memset(y, 0, 144);
        scale_min_block(x, 15, steps, 20, search, lanes, &d, &dmin, y + 4, L);
        put_u16(y, d);
        put_u16(y + 2, dmin);
        for (j = 0; j < QK; j += 64, q += 32)
            for (l = 0; l < 32; ++l) q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
    }
    return 0;
}

/* Q5_K: 176-byte blocks (d, dmin, scales[12], qh[32], qs[128]). */
TF_EXPORT int tf_quantize_q5_K(const float *x, uint8_t *y, int64_t n_blocks) {
    float steps[16];
    uint8_t L[QK];
    int lanes, n, j;
    int64_t b;
    search_fn search = pick(&lanes);
    step_table(31, -0.5f, 0.1f, 15, steps);
    for (b = 0; b < n_blocks; ++b, x += QK, y += 176) {
        uint16_t d, dmin;
        uint8_t *qh = y + 16, *ql = y + 48, m1 = 1, m2 = 2;
        memset(y, 0, 176);
        scale_min_block(x, 31, steps, 15, search, lanes, &d, &dmin, y + 4, L);
        put_u16(y, d);
        put_u16(y + 2, dmin);
        for (n = 0; n < QK; n += 64, ql += 32) {
            for (j = 0; j < 32; ++j) {
                int l1 = L[n + j], l2 = L[n + j + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    qh[j] |= m1;
                }
                if (l2 > 15) {
                    l2 -= 16;
                    qh[j] |= m2;
                }
                ql[j] = (uint8_t)(l1 | (l2 << 4));
            }
            m1 = (uint8_t)(m1 << 2);
            m2 = (uint8_t)(m2 << 2);
        }
    }
    return 0;
}

/* Q6_K: 210-byte blocks (ql[128], qh[64], int8 scales[16], d). */
TF_EXPORT int tf_quantize_q6_K(const float *x, uint8_t *y, int64_t n_blocks) {
    float steps[18], xt[16 * 8], scales[16];
    uint8_t L[QK], lt[16 * 8];
    int lanes, k = 0, is, g, i, j, l, lane;
    int64_t b;
    search_qx_fn search = tf_kquant_level() >= 2 ? search_qx_avx2 : search_qx_sse2;
    lanes = tf_kquant_level() >= 2 ? 8 : 4;
    for (is = -9; is <= 9; ++is)
        if (is != 0) steps[k++] = -((float)32 + 0.1f * (float)is);
    for (b = 0; b < n_blocks; ++b, x += QK, y += 210) {
        float max_scale = 0, max_abs_scale = 0, iscale, dd;
        uint16_t d;
        uint8_t *ql = y, *qh = y + 128;
        int8_t *sc = (int8_t *)(y + 192);
        for (g = 0; g < 16; g += lanes) {
            for (lane = 0; lane < lanes; ++lane)
                for (i = 0; i < 16; ++i) xt[i * lanes + lane] = x[16 * (g + lane) + i];
            search(xt, steps, scales + g, lt);
            for (lane = 0; lane < lanes; ++lane)
                for (i = 0; i < 16; ++i) L[16 * (g + lane) + i] = lt[i * lanes + lane];
        }
        for (j = 0; j < 16; ++j) {
            float a = scales[j] < 0 ? -scales[j] : scales[j];
            if (a > max_abs_scale) {
                max_abs_scale = a;
                max_scale = scales[j];
            }
        }
        memset(y, 0, 210);
        if (max_abs_scale < 1e-15f) continue; /* d = fp16(0) = 0 */
        iscale = -128.f / max_scale;
        d = half_from_float(1 / iscale);
        put_u16(y + 208, d);
        for (j = 0; j < 16; ++j) {
            int v = round_biased(iscale * scales[j]);
            sc[j] = (int8_t)(v < 127 ? v : 127);
        }
        dd = float_from_half(d);
        for (j = 0; j < 16; ++j) {
            float dj = dd * sc[j];
            if (!dj) continue;
            for (i = 0; i < 16; ++i) {
                int q = round_biased(x[16 * j + i] / dj);
                q = q < -32 ? -32 : (q > 31 ? 31 : q);
                L[16 * j + i] = (uint8_t)(q + 32);
            }
        }
        for (j = 0; j < QK; j += 128, ql += 64, qh += 32) {
            for (l = 0; l < 32; ++l) {
                const uint8_t *s = L + j + l;
                ql[l] = (uint8_t)((s[0] & 0xF) | ((s[64] & 0xF) << 4));
                ql[l + 32] = (uint8_t)((s[32] & 0xF) | ((s[96] & 0xF) << 4));
                qh[l] = (uint8_t)((s[0] >> 4) | ((s[32] >> 4) << 2) | ((s[64] >> 4) << 4) |
                                  ((s[96] >> 4) << 6));
            }
        }
    }
    return 0;
}

#else /* not x86-64: nothing here; Python uses ggml */

TF_EXPORT int tf_kquant_level(void) { return 0; }
TF_EXPORT int tf_kquant_set_level(int level) { (void)level; return 0; }
TF_EXPORT int tf_quantize_q4_K(const float *x, uint8_t *y, int64_t n_blocks) {
    (void)x; (void)y; (void)n_blocks;
    return -1;
}
TF_EXPORT int tf_quantize_q5_K(const float *x, uint8_t *y, int64_t n_blocks) {
    (void)x; (void)y; (void)n_blocks;
    return -1;
}
TF_EXPORT int tf_quantize_q6_K(const float *x, uint8_t *y, int64_t n_blocks) {
    (void)x; (void)y; (void)n_blocks;
    return -1;
}

#endif
