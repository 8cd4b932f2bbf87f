/* product.c — a function's code for the diagnostics goldens beside it: pipec check only
 * requires that it exists; nothing compiles it. */
