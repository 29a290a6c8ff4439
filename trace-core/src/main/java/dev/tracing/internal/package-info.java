/**
 * What only this project's own modules use: the hex codec of ids, the HTTP token check, the
 * names of the trace headers and log-safe text. Not API: anything here may change without
 * notice. Depends on nothing else of this project.
 */
package dev.tracing.internal;
