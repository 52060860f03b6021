// A base/ header that includes a later stage: the layering check must refuse it.
#include "store/sqlite_store.h"
#include "loose.h"
