#ifndef POUR_CARCHIVE_SHIM_H
#define POUR_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
