/* cogmap.h — the whole public API. Modules, lower never including higher:
 * base -> io -> world -> nn -> cells -> models -> analysis -> plot. */
#ifndef COGMAP_H
#define COGMAP_H

#include "cogmap/base.h"
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/world.h"
#include "cogmap/nn.h"
#include "cogmap/cells.h"
#include "cogmap/models.h"
#include "cogmap/analysis.h"
#include "cogmap/plot.h"
#include "cogmap/gridrun.h"

#endif
