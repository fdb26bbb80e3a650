target "base" {
  attest = ["type=sbom", "type=provenance,mode=min"]
}
target "a" {
  inherits = ["base"]
  attest = ["type=sbom,disabled=true"]
}
