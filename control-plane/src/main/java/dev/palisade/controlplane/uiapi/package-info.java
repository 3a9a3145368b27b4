/**
 * The JSON endpoints of the auditor's page (issue 10) besides {@code /api/flows*}: the service graph, an edge's
 * deciding rules, the policies with their hit counts and the chains' integrity (control-plane/README.md "Flows HTTP
 * API"). The page itself is static files the admin server serves under {@code /ui/}.
 */
@NullMarked
package dev.palisade.controlplane.uiapi;

import org.jspecify.annotations.NullMarked;
