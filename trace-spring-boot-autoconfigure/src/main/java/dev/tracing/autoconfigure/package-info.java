/**
 * The starter's auto-configurations, one per concern, and the {@code trace.*} properties, one class per
 * concern. They only wire: each value goes to the trace-core builder or instrumentation class that
 * owns its default and its check.
 */
package dev.tracing.autoconfigure;
