/* One libFuzzer executable per target: CMF_TARGET names it (fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

static const cmf_target *target;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cmf_init();
    target = cmf_find(CMF_TARGET);
    if (!target) {
        fprintf(stderr, "fuzz: no target named %s\n", CMF_TARGET);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    target->run(data, size);
    return 0;
}
