target "a" {
  dockerfile-inline = <<EOT
FROM alpine
ARG X
RUN echo $${X} && echo %%{y}
EOT
}
