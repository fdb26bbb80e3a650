target "img" {
  name = "img-${os}-${ver}"
  matrix = {
    os = ["alpine", "debian"]
    ver = ["1", "2"]
  }
  args = { OS = os, VER = ver }
}
