/* pc_version.h — the pipec version, stamped into every generated file and binary. */
#ifndef PC_VERSION_H
#define PC_VERSION_H
#define PC_VERSION "0.1.0"
#endif
