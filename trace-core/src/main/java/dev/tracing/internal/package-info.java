/**
 * What only this project's own modules use: the hex codec of ids, the HTTP token check, the
 * names of the trace headers, log-safe text and the threads that send spans away. Not API: anything here may change without
 * notice. Depends on nothing else of this project.
 */
package dev.tracing.internal;
