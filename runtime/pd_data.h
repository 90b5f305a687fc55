/*
 * pd_data.h - the value types pdlc maps .pdl field types onto.
 *
 *   bytes        pd_bytes                  (a length and a buffer)
 *   vec<T>       MODULE_vec_T              (items, len, cap; emitted per T)
 *   labeled<T>   MODULE_labeled_T          (value, label; emitted per T)
 *   rref<I>      pd_rref                   (pd_rref.h)
 *
 * Buffers behind bytes and vec belong to the struct that holds them; the
 * generated free and load functions (checkpoint issue) manage them.
 */
#ifndef PD_DATA_H
#define PD_DATA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pd_bytes {
	uint8_t *data;
	uint32_t len;
} pd_bytes;

/* A label's dense id within its lattice (a bit set, for powersets). */
typedef uint32_t pd_label;

#ifdef __cplusplus
}
#endif

#endif /* PD_DATA_H */
