/* segment_io.c: a segmentation model file: kind "segmentation", sections "prep", "kmeans",
 * "profile" (each written by its module), "segmeta" (written here) and the optional
 * "driftref" (crmkit/drift.h; files written before it existed have none and still load).
 *
 * segmeta layout: u32 version (1), u32 method, i32 k, i32 kmin, i32 kmax, i64 n_rows,
 * f64 inertia, i32 n_iter, f64 bic, f64s seconds[4], str source, i32 curve_kmin,
 * i32 n_curve, f64s curve[n_curve].
 *
 * Another algorithm than k-means writes its own section ("kmodes", "hclust", "birch", "gmm",
 * "dbscan", "optigrid" or "denclue") in place of
 * "kmeans", and a section "segalgo": u32 version (1), u32 algorithm (crm_segment_algo). A file
 * without "segalgo" is a k-means segmentation, so files written before the other algorithms
 * existed load unchanged, and k-means files are written exactly as before.
 *
 * Loading cross-checks the sections (k and the dimension agree everywhere), so a file whose
 * sections were each valid but do not belong together is refused too. */
#include <math.h>
#include <string.h>

#include <crmkit/segment.h>

#include "core/core_internal.h"
#include "segment_internal.h"

#define SEGMETA         "segmeta"
#define SEGMETA_VERSION 1u
#define SEGMENT_KIND    "segmentation"
#define SEGALGO         "segalgo"
#define SEGALGO_VERSION 1u

static crm_status put_meta(const crm_segmenter *seg, crm_model_writer *w, crm_error *err)
{
    static const double none[SEG_T_SAVED];
    crm_model_out o = { w, err, CRM_OK };
    crm_model_out_begin(&o, SEGMETA);
    crm_model_out_u32(&o, SEGMETA_VERSION);
    crm_model_out_u32(&o, (uint32_t)seg->method);
    crm_model_out_i32(&o, seg->k);
    crm_model_out_i32(&o, seg->kmin);
    crm_model_out_i32(&o, seg->kmax);
    crm_model_out_i64(&o, seg->n_rows);
    crm_model_out_f64(&o, seg->inertia);
    crm_model_out_i32(&o, seg->n_iter);
    crm_model_out_f64(&o, seg->bic);
    crm_model_out_f64s(&o, crm_model_stamp() ? seg->seconds : none, SEG_T_SAVED);
    crm_model_out_str(&o, seg->source);
    crm_model_out_i32(&o, seg->curve_kmin);
    crm_model_out_i32(&o, seg->curve ? seg->n_curve : 0);
    if (seg->curve != NULL) {
        crm_model_out_f64s(&o, seg->curve, (size_t)seg->n_curve);
    }
    return o.rc;
}

crm_status crm_segmenter_write(const crm_segmenter *seg, crm_model_writer *w, crm_error *err)
{
    crm_status rc = crm_prep_save(seg->prep, w, err);
    if (rc == CRM_OK) {
        if (seg->km != NULL) {
            rc = crm_kmeans_save(seg->km, w, err);
        } else if (seg->kmo != NULL) {
            rc = crm_kmodes_save(seg->kmo, w, err);
        } else if (seg->bi != NULL) {
            rc = crm_birch_save(seg->bi, w, err);
        } else if (seg->gm != NULL) {
            rc = crm_gmm_save(seg->gm, w, err);
        } else if (seg->db != NULL) {
            rc = crm_dbscan_save(seg->db, w, err);
        } else if (seg->og != NULL) {
            rc = crm_optigrid_save(seg->og, w, err);
        } else if (seg->dc != NULL) {
            rc = crm_denclue_save(seg->dc, w, err);
        } else {
            rc = crm_hclust_save(seg->hc, w, err);
        }
    }
    if (rc == CRM_OK && seg->algo != CRM_SEGMENT_ALGO_KMEANS) {
        rc = crm_model_begin(w, SEGALGO, err);
        if (rc == CRM_OK) {
            rc = crm_model_put_u32(w, SEGALGO_VERSION, err);
        }
        if (rc == CRM_OK) {
            rc = crm_model_put_u32(w, (uint32_t)seg->algo, err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm_profile_save(seg->profile, w, err);
    }
    if (rc == CRM_OK) {
        rc = put_meta(seg, w, err);
    }
    if (rc == CRM_OK && seg->drift != NULL) {
        rc = crm_drift_ref_save(seg->drift, w, err);
    }
    return rc;
}

crm_status crm_segmenter_save(const crm_segmenter *seg, const char *path, crm_error *err)
{
    crm_model_writer *w = NULL;
    crm_status rc = crm_model_writer_new(SEGMENT_KIND, &w, err);
    if (rc == CRM_OK) {
        rc = crm_segmenter_write(seg, w, err);
    }
    if (rc == CRM_OK) {
        rc = crm_model_writer_save(w, path, err);
    }
    crm_model_writer_free(w);
    return rc;
}

static crm_status corrupt(const crm_model_reader *r, const char *what, crm_error *err)
{
    return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                         "corrupt model file: %s", what);
}

static crm_status get_meta(const crm_model_reader *r, crm_segmenter *seg, crm_error *err)
{
    crm_section s;
    uint32_t version = 0;
    uint32_t method = 0;
    crm_status rc = crm_model_section(r, SEGMETA, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    (void)crm_section_get_u32(&s, &version);
    (void)crm_section_get_u32(&s, &method);
    (void)crm_section_get_i32(&s, &seg->k);
    (void)crm_section_get_i32(&s, &seg->kmin);
    (void)crm_section_get_i32(&s, &seg->kmax);
    (void)crm_section_get_i64(&s, &seg->n_rows);
    (void)crm_section_get_f64(&s, &seg->inertia);
    (void)crm_section_get_i32(&s, &seg->n_iter);
    (void)crm_section_get_f64(&s, &seg->bic);
    (void)crm_section_get_f64s(&s, seg->seconds, SEG_T_SAVED);
    if (crm_section_get_str(&s, 4096, &seg->source) == CRM_ENOMEM) {
        return crm__error_nomem(err);
    }
    (void)crm_section_get_i32(&s, &seg->curve_kmin);
    (void)crm_section_get_i32(&s, &seg->n_curve);
    if (s.failed || version != SEGMETA_VERSION || method > CRM_SEGMENT_SWEEP || seg->k < 1 ||
        seg->n_rows < 0 || !crm_section_fits(&s, seg->n_curve, 8)) {
        return crm_model_malformed(r, SEGMETA, err);
    }
    seg->method = (crm_segment_method)method;
    if (seg->n_curve > 0) {
        seg->curve = crm_mallocarray((size_t)seg->n_curve, sizeof *seg->curve);
        if (seg->curve == NULL) {
            return crm__error_nomem(err);
        }
        (void)crm_section_get_f64s(&s, seg->curve, (size_t)seg->n_curve);
    }
    return crm_section_finish(&s, r, err);
}

static crm_status get_algo(const crm_model_reader *r, crm_segmenter *seg, crm_error *err)
{
    crm_section s;
    uint32_t version = 0;
    uint32_t algo = 0;
    crm_status rc;
    seg->algo = CRM_SEGMENT_ALGO_KMEANS;
    if (!crm_model_reader_has(r, SEGALGO)) {
        return CRM_OK;
    }
    rc = crm_model_section(r, SEGALGO, &s, err);
    if (rc != CRM_OK) {
        return rc;
    }
    (void)crm_section_get_u32(&s, &version);
    (void)crm_section_get_u32(&s, &algo);
    if (s.failed || version != SEGALGO_VERSION || algo > CRM_SEGMENT_ALGO_DENCLUE) {
        return crm_model_malformed(r, SEGALGO, err);
    }
    seg->algo = (crm_segment_algo)algo;
    return crm_section_finish(&s, r, err);
}

static int32_t algo_k(const crm_segmenter *seg)
{
    if (seg->bi != NULL) {
        return crm_birch_k(seg->bi);
    }
    if (seg->gm != NULL) {
        return crm_gmm_k(seg->gm);
    }
    if (seg->db != NULL) {
        return crm_dbscan_k(seg->db) + 1; /* and the noise segment */
    }
    if (seg->og != NULL) {
        return crm_optigrid_k(seg->og) + 1;
    }
    if (seg->dc != NULL) {
        return crm_denclue_k(seg->dc) + 1;
    }
    return seg->km ? crm_kmeans_k(seg->km)
                   : (seg->kmo ? crm_kmodes_k(seg->kmo) : crm_hclust_k(seg->hc));
}

/* Width of the cleaned matrix the algorithm reads. */
static int32_t algo_dim(const crm_segmenter *seg)
{
    if (seg->km != NULL) {
        return crm_kmeans_dim(seg->km);
    }
    if (seg->kmo != NULL) {
        int32_t n_cat = 0;
        /* the categorical columns must be the prep's categorical features, level for level */
        for (int32_t j = 0; j < crm_prep_n_out(seg->prep); j++) {
            int32_t f = crm_prep_out_feature(seg->prep, j);
            if (crm_prep_feature_type(seg->prep, f) != CRM_COL_NUMERIC) {
                n_cat++;
            }
        }
        if (n_cat != crm_kmodes_n_cat(seg->kmo) ||
            crm_prep_fitted_params(seg->prep).encode != CRM_ENCODE_ORDINAL) {
            return -1;
        }
        return crm_kmodes_n_num(seg->kmo) + crm_kmodes_n_cat(seg->kmo);
    }
    if (seg->bi != NULL) {
        return crm_birch_dim(seg->bi);
    }
    if (seg->gm != NULL) {
        return crm_gmm_dim(seg->gm);
    }
    if (seg->db != NULL) {
        return crm_dbscan_dim(seg->db);
    }
    if (seg->og != NULL) {
        return crm_optigrid_dim(seg->og);
    }
    if (seg->dc != NULL) {
        return crm_denclue_dim(seg->dc);
    }
    return crm_hclust_dim(seg->hc);
}

crm_status crm_segmenter_read(const crm_model_reader *r, crm_segmenter **out, crm_error *err)
{
    crm_segmenter *seg;
    crm_status rc;
    *out = NULL;
    if (strcmp(crm_model_reader_kind(r), SEGMENT_KIND) != 0) {
        return crm__error_at(err, CRM_EFORMAT, crm_model_reader_source(r), 0, 0,
                             "this is a \"%s\" model, not a segmentation model",
                             crm_model_reader_kind(r));
    }
    seg = crm_calloc(1, sizeof *seg);
    if (seg == NULL) {
        return crm__error_nomem(err);
    }
    rc = get_meta(r, seg, err);
    if (rc == CRM_OK) {
        rc = get_algo(r, seg, err);
    }
    if (rc == CRM_OK) {
        rc = crm_prep_load(r, &seg->prep, err);
    }
    if (rc == CRM_OK) {
        if (seg->algo == CRM_SEGMENT_ALGO_KMEANS) {
            rc = crm_kmeans_load(r, &seg->km, err);
        } else if (seg->algo == CRM_SEGMENT_ALGO_HIER) {
            rc = crm_hclust_load(r, &seg->hc, err);
        } else if (seg->algo == CRM_SEGMENT_ALGO_BIRCH) {
            rc = crm_birch_load(r, &seg->bi, err);
        } else if (seg->algo == CRM_SEGMENT_ALGO_EM) {
            rc = crm_gmm_load(r, &seg->gm, err);
        } else if (seg->algo == CRM_SEGMENT_ALGO_DBSCAN) {
            rc = crm_dbscan_load(r, &seg->db, err);
        } else if (seg->algo == CRM_SEGMENT_ALGO_OPTIGRID) {
            rc = crm_optigrid_load(r, &seg->og, err);
        } else if (seg->algo == CRM_SEGMENT_ALGO_DENCLUE) {
            rc = crm_denclue_load(r, &seg->dc, err);
        } else {
            rc = crm_kmodes_load(r, &seg->kmo, err);
        }
    }
    if (rc == CRM_OK) {
        rc = crm_profile_load(r, &seg->profile, err);
    }
    if (rc == CRM_OK && crm_model_reader_has(r, "driftref")) { /* optional: newer files */
        rc = crm_drift_ref_load(r, &seg->drift, err);
    }
    if (rc == CRM_OK && (algo_k(seg) != seg->k || crm_profile_k(seg->profile) != seg->k ||
                         algo_dim(seg) != crm_prep_n_out(seg->prep))) {
        rc = corrupt(r, "its sections disagree on the number of segments or features", err);
    }
    if (rc != CRM_OK) {
        crm_segmenter_free(seg);
        return rc;
    }
    *out = seg;
    return CRM_OK;
}

crm_status crm_segmenter_load(const char *path, crm_segmenter **out, crm_error *err)
{
    crm_model_reader *r = NULL;
    crm_status rc;
    *out = NULL;
    rc = crm_model_reader_open(path, &r, err);
    if (rc == CRM_OK) {
        rc = crm_segmenter_read(r, out, err);
    }
    crm_model_reader_free(r);
    return rc;
}
