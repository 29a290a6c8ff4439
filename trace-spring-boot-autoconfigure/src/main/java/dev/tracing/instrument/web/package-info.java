/**
 * Spring MVC and blocking clients: the servlet filter (with Tomcat's error-log valve) and the
 * interceptor for RestTemplate and RestClient.
 */
package dev.tracing.instrument.web;
