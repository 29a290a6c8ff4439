/**
 * What only this project's own modules use: the hex codec of ids and the HTTP token check. Not
 * API: anything here may change without notice. Depends on nothing else of this project.
 */
package dev.tracing.internal;
