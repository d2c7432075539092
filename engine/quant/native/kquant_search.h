/* The per-sub-block scale search of the Q4_K / Q5_K reference quantizers, one sub-block
 * per SIMD lane. Included by kquant.c once per instruction set, with these macros set:
 *   LANES, VF (float vector), VI (int vector), SEARCH (function name) and the V_* ops.
 *
 * Every lane performs exactly the float32 operations of ggml's scalar search, in the
 * same order (sums stay sequential over the 32 positions); only independent sub-blocks
 * run side by side. No fused multiply-add: this file is compiled with contraction off.
 */

/* xt: 32 rows of LANES values (position-major: xt[i*LANES + lane] = sub-block lane, value i).
 * steps: the candidate numerators (rmin + rdelta*is) + nmax for is = 0..nstep.
 * Writes, per lane: scale, the_min (= -min), and the 32 levels L[i*LANES + lane]. */
static TF_TARGET void SEARCH(const float *xt, int nmax, const float *steps, int nstep, float *scale_out,
                   float *min_out, uint8_t *level_out) {
    VF x[32], w[32], lbest[32], laux[32];
    const VF zero = V_SET1(0.0f);
    const VF vnmax = V_SET1((float)nmax);
    const VF magic = V_SET1(12582912.0f);
    const VI mant = V_SET1I(0x007fffff);
    const VI half = V_SET1I(0x00400000);
    const VF absmask = V_CASTIF(V_SET1I(0x7fffffff));
    int i, is;

    /* weights: av_x + |x|, av_x = sqrt(sum x^2 / 32) with the sum in position order */
    VF sum_x2 = zero;
    for (i = 0; i < 32; ++i) {
        x[i] = V_LOAD(xt + i * LANES);
        sum_x2 = V_ADD(sum_x2, V_MUL(x[i], x[i]));
    }
    VF av_x = V_SQRT(V_DIV(sum_x2, V_SET1(32.0f)));
    for (i = 0; i < 32; ++i) w[i] = V_ADD(av_x, V_AND(x[i], absmask));

    VF vmin = x[0], vmax = x[0];
    VF sum_w = w[0];
    VF sum_x = V_MUL(sum_w, x[0]);
    for (i = 1; i < 32; ++i) {
        vmin = V_MIN(x[i], vmin); /* (x < min) ? x : min */
        vmax = V_MAX(x[i], vmax); /* (x > max) ? x : max */
        sum_w = V_ADD(sum_w, w[i]);
        sum_x = V_ADD(sum_x, V_MUL(w[i], x[i]));
    }
    vmin = V_ANDNOT(V_CMPGT(vmin, zero), vmin); /* if (min > 0) min = 0 */
    const VF flat = V_CMPEQ(vmax, vmin);
    VF iscale = V_DIV(vnmax, V_SUB(vmax, vmin));
    VF scale = V_DIV(V_SET1(1.0f), iscale);
    VF best_error = zero;
    for (i = 0; i < 32; ++i) {
        VF v = V_ADD(V_MUL(iscale, V_SUB(x[i], vmin)), magic);
        VI b = V_SUBI(V_ANDI(V_CASTFI(v), mant), half);
        VF l = V_MIN(vnmax, V_MAX(zero, V_CVTIF(b)));
        lbest[i] = l;
        VF diff = V_SUB(V_ADD(V_MUL(scale, l), vmin), x[i]);
        diff = V_MUL(diff, diff);
        best_error = V_ADD(best_error, V_MUL(w[i], diff));
    }

    for (is = 0; is <= nstep; ++is) {
        iscale = V_DIV(V_SET1(steps[is]), V_SUB(vmax, vmin)); /* min moves with the best */
        VF sum_l = zero, sum_l2 = zero, sum_xl = zero;
        for (i = 0; i < 32; ++i) {
            VF v = V_ADD(V_MUL(iscale, V_SUB(x[i], vmin)), magic);
            VI b = V_SUBI(V_ANDI(V_CASTFI(v), mant), half);
            VF l = V_MIN(vnmax, V_MAX(zero, V_CVTIF(b)));
            laux[i] = l;
            VF wl = V_MUL(w[i], l);
            sum_l = V_ADD(sum_l, wl);
            sum_l2 = V_ADD(sum_l2, V_MUL(wl, l));
            sum_xl = V_ADD(sum_xl, V_MUL(wl, x[i]));
        }
        VF d = V_SUB(V_MUL(sum_w, sum_l2), V_MUL(sum_l, sum_l));
        VF ok = V_ANDNOT(flat, V_CMPGT(d, zero));
        if (!V_ANY(ok)) continue;
        VF this_scale = V_DIV(V_SUB(V_MUL(sum_w, sum_xl), V_MUL(sum_x, sum_l)), d);
        VF this_min = V_DIV(V_SUB(V_MUL(sum_l2, sum_x), V_MUL(sum_l, sum_xl)), d);
        VF pos = V_CMPGT(this_min, zero);
        this_min = V_ANDNOT(pos, this_min);
        this_scale = V_SEL(pos, V_DIV(sum_xl, sum_l2), this_scale);
        VF cur_error = zero;
        for (i = 0; i < 32; ++i) {
            VF diff = V_SUB(V_ADD(V_MUL(this_scale, laux[i]), this_min), x[i]);
            diff = V_MUL(diff, diff);
            cur_error = V_ADD(cur_error, V_MUL(w[i], diff));
        }
        VF take = V_AND(ok, V_CMPLT(cur_error, best_error));
        if (!V_ANY(take)) continue;
        for (i = 0; i < 32; ++i) lbest[i] = V_SEL(take, laux[i], lbest[i]);
        best_error = V_SEL(take, cur_error, best_error);
        scale = V_SEL(take, this_scale, scale);
        vmin = V_SEL(take, this_min, vmin);
    }

    /* max == min: all levels 0, scale 0 (min is already clamped to <= 0) */
    scale = V_ANDNOT(flat, scale);
    V_STORE(scale_out, scale);
    V_STORE(min_out, V_XOR(vmin, V_CASTIF(V_SET1I((int)0x80000000u))));
    for (i = 0; i < 32; ++i) {
        float tmp[LANES];
        int lane;
        V_STORE(tmp, V_ANDNOT(flat, lbest[i]));
        for (lane = 0; lane < LANES; ++lane) level_out[i * LANES + lane] = (uint8_t)(int)tmp[lane];
    }
}
