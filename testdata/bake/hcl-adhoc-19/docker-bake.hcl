target "a" {
  attest = ["type=provenance,disabled=true", "type=sbom,disabled=false"]
}
