// Package join turns the results of a multi-platform target that the pool
// split over several nodes (one single-platform solve per node) into what
// one node building every platform would have produced: one image index
// pushed by digest to the registry (tags written only by Tag, after the
// whole run succeeded), one multi-platform OCI layout directory and the
// tarball BuildKit's oci exporter would write from it, and a local output
// with one subdirectory per platform as BuildKit's local exporter writes.
// The index is assembled byte for byte as BuildKit's image writer assembles
// it (images in platform order, then their attestation manifests), so a
// joined result differs from a single node's only where the per-platform
// solves themselves differ. Registry access goes through buildx's
// util/imagetools, the code `buildx imagetools create` uses.
package join
