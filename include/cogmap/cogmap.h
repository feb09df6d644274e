/* cogmap.h — the whole public API. Modules, lower never including higher:
 * base -> io -> world -> nn -> cells -> models (with smp.h, social.h, link.h) -> analysis -> run (with socialrun.h) -> plot. */
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
#include "cogmap/social.h"
#include "cogmap/link.h"
#include "cogmap/analysis.h"
#include "cogmap/run.h"
#include "cogmap/socialrun.h"
#include "cogmap/plot.h"

#endif
