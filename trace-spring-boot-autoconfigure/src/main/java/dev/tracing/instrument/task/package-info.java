/**
 * Work that an application hands to an executor or a scheduler: the task runs in the span of the
 * code that submitted it, with the ids in its log lines.
 */
package dev.tracing.instrument.task;
