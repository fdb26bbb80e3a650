package solve

import (
	"context"
	"net/http"
)

// DockerGet is a GET of path on the Docker engine at host (for the
// external tests); an error when none answers there.
func DockerGet(host, path string) (*http.Response, error) {
	d, err := newDockerEngine(host)
	if err != nil {
		return nil, err
	}
	if err := d.ping(context.Background()); err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodGet, d.base+path, nil)
	if err != nil {
		return nil, err
	}
	return d.client.Do(req)
}
