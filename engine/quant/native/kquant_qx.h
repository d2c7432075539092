/* The per-sub-block scale search of the Q6_K reference quantizer (16 values, levels
 * -32..31, weights x*x), one sub-block per SIMD lane; included like kquant_search.h.
 * Each lane does ggml's float32 operations in ggml's order, without fused multiply-adds.
 *
 * xt[i*LANES + lane] = value i of sub-block lane; steps[k] = -(nmax + 0.1f*is) for the 18
 * candidates is = -9..-1, 1..9. Writes per lane the scale and the 16 levels L + nmax. */
static TF_TARGET void SEARCH_QX(const float *xt, const float *steps, float *scale_out,
                                uint8_t *level_out) {
    VF x[16], w[16], lbest[16], laux[16];
    const VF zero = V_SET1(0.0f);
    const VF lo = V_SET1(-32.0f), hi = V_SET1(31.0f);
    const VF magic = V_SET1(12582912.0f);
    const VI mant = V_SET1I(0x007fffff);
    const VI half = V_SET1I(0x00400000);
    const VF absmask = V_CASTIF(V_SET1I(0x7fffffff));
    VF vmax = zero, amax = zero;
    int i, k;

    for (i = 0; i < 16; ++i) {
        x[i] = V_LOAD(xt + i * LANES);
        w[i] = V_MUL(x[i], x[i]);
        VF ax = V_AND(x[i], absmask);
        VF gt = V_CMPGT(ax, amax); /* first largest |x| wins */
        amax = V_SEL(gt, ax, amax);
        vmax = V_SEL(gt, x[i], vmax);
    }
    const VF empty = V_CMPLT(amax, V_SET1(1e-15f));

    VF iscale = V_DIV(V_SET1(-32.0f), vmax);
    VF sumlx = zero, suml2 = zero;
    for (i = 0; i < 16; ++i) {
        VF v = V_ADD(V_MUL(iscale, x[i]), magic);
        VI b = V_SUBI(V_ANDI(V_CASTFI(v), mant), half);
        VF l = V_MAX(lo, V_MIN(hi, V_CVTIF(b)));
        lbest[i] = l;
        sumlx = V_ADD(sumlx, V_MUL(V_MUL(w[i], x[i]), l));
        suml2 = V_ADD(suml2, V_MUL(V_MUL(w[i], l), l));
    }
    /* suml2 ? sumlx/suml2 : 0 (NaN counts as true, as in C) */
    VF scale = V_AND(V_CMPNEQ(suml2, zero), V_DIV(sumlx, suml2));
    VF best = V_MUL(scale, sumlx);
    for (k = 0; k < 18; ++k) {
        iscale = V_DIV(V_SET1(steps[k]), vmax);
        sumlx = zero;
        suml2 = zero;
        for (i = 0; i < 16; ++i) {
            VF v = V_ADD(V_MUL(iscale, x[i]), magic);
            VI b = V_SUBI(V_ANDI(V_CASTFI(v), mant), half);
            VF l = V_MAX(lo, V_MIN(hi, V_CVTIF(b)));
            laux[i] = l;
            sumlx = V_ADD(sumlx, V_MUL(V_MUL(w[i], x[i]), l));
            suml2 = V_ADD(suml2, V_MUL(V_MUL(w[i], l), l));
        }
        VF take = V_AND(V_CMPGT(suml2, zero),
                        V_CMPGT(V_MUL(sumlx, sumlx), V_MUL(best, suml2)));
        take = V_ANDNOT(empty, take);
        if (!V_ANY(take)) continue;
        for (i = 0; i < 16; ++i) lbest[i] = V_SEL(take, laux[i], lbest[i]);
        VF s = V_DIV(sumlx, suml2);
        scale = V_SEL(take, s, scale);
        best = V_SEL(take, V_MUL(s, sumlx), best);
    }

    /* all (near) zero: levels 0 (not nmax) and scale 0 */
    V_STORE(scale_out, V_ANDNOT(empty, scale));
    for (i = 0; i < 16; ++i) {
        float tmp[LANES];
        int lane;
        V_STORE(tmp, V_ANDNOT(empty, V_ADD(lbest[i], V_SET1(32.0f))));
        for (lane = 0; lane < LANES; ++lane) level_out[i * LANES + lane] = (uint8_t)(int)tmp[lane];
    }
}
