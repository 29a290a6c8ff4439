/**
 * The one HTTP span policy that every HTTP adapter uses: span names, tags, skip pattern, response
 * header, and what is never recorded.
 */
package dev.tracing.instrument.http;
