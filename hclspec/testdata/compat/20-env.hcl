variable "S" {}
variable "N" { default = 1 }
variable "B" { default = false }
variable "L" { type = list(number) }
variable "ST" { type = set(string) }
variable "T" { type = tuple([string, number, bool]) }
variable "MP" { type = map(string) }
variable "OB" { type = object({a = string}) }
variable "TS" { type = string }
variable "DEFL" { default = ["x"] }
target "default" {
  args = {
    S = S, N = N + 1, B = B ? "yes" : "no", L = jsonencode(L), ST = jsonencode(ST), T = jsonencode(T), MP = jsonencode(MP), OB = jsonencode(OB), TS = TS
  }
}
