/* cogmap.h — the whole public API. Modules, lower never including higher:
 * base -> io -> world -> nn -> cells -> models (with smp.h) -> analysis -> run -> plot. */
#ifndef COGMAP_H
#define COGMAP_H

#include "cogmap/base.h"
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/world.h"
#include "cogmap/nn.h"
#include "cogmap/cells.h"
#include "cogmap/models.h"
#include "cogmap/smp.h"
#include "cogmap/analysis.h"
#include "cogmap/run.h"
#include "cogmap/plot.h"

#endif
