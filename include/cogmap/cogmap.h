/* cogmap.h — the whole public API. Modules, lower never including higher:
 * base -> io -> world -> mapping -> nn -> cells -> models (with smp.h, bevnet.h, social.h, link.h) ->
 * analysis -> run (with bevrun.h, detrun.h, socialrun.h, evaluate.h, maprun.h) -> plot. */
#ifndef COGMAP_H
#define COGMAP_H

#include "cogmap/base.h"
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/world.h"
#include "cogmap/coop.h"
#include "cogmap/mapping.h"
#include "cogmap/nn.h"
#include "cogmap/cells.h"
#include "cogmap/models.h"
#include "cogmap/detector.h"
#include "cogmap/smp.h"
#include "cogmap/bevnet.h"
#include "cogmap/social.h"
#include "cogmap/link.h"
#include "cogmap/analysis.h"
#include "cogmap/run.h"
#include "cogmap/bevrun.h"
#include "cogmap/detrun.h"
#include "cogmap/bench.h"
#include "cogmap/simulate.h"
#include "cogmap/gridness_table.h"
#include "cogmap/socialrun.h"
#include "cogmap/trainmodel.h"
#include "cogmap/evaluate.h"
#include "cogmap/maprun.h"
#include "cogmap/plot.h"

#endif
