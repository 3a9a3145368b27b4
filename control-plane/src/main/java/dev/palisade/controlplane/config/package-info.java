/**
 * Mesh-wide settings of the control plane that the policy compiler and the xDS server read: the
 * trust domain, the default authorization action and the default mTLS mode.
 */
@NullMarked
package dev.palisade.controlplane.config;

import org.jspecify.annotations.NullMarked;
