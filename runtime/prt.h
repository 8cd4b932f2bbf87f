/* prt.h — the pipec runtime: everything a generated pipeline includes. */
#ifndef PRT_H
#define PRT_H

#include "prt_core.h"
#include "prt_scalar.h"
#include "prt_format.h"
#include "prt_hash.h"
#include "prt_schema.h"
#include "prt_distinct.h"
#include "prt_window.h"
#include "prt_fn.h"
#include "prt_expr.h"
#include "prt_job.h"

#endif
