/* One string against a "a|b|c" list of choices: the CLI's option table and
 * the run layer's model table both ask it. */
#include <string.h>

#include "cogmap/base.h"

int cm_is_choice(const char *v, const char *choices)
{
    size_t n = strlen(v);
    for (const char *c = choices; c; c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL)
        if (strncmp(c, v, n) == 0 && (c[n] == '|' || c[n] == '\0'))
            return 1;
    return 0;
}
