package bake

import (
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// composeEnv is the environment compose files are interpolated with: the
// process environment (unless disabled), then .env of the working directory
// for keys not set, then --var values.
func composeEnv(lookupAllowed bool, environ []string, vars map[string]string) (map[string]string, error) {
	envs := map[string]string{}
	if lookupAllowed {
		for _, kv := range environ {
			k, v, _ := strings.Cut(kv, "=")
			envs[k] = v
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if err := loadDotEnv(envs, wd); err != nil {
			return nil, err
		}
	}
	maps.Copy(envs, vars)
	return envs, nil
}

func loadDotEnv(envs map[string]string, dir string) error {
	ef, err := filepath.Abs(filepath.Join(dir, ".env"))
	if err != nil {
		return err
	}
	st, err := os.Stat(ef)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	} else if st.IsDir() {
		return nil
	}
	dt, err := os.ReadFile(ef)
	if err != nil {
		return err
	}
	vals, err := dotenv.UnmarshalBytesWithLookup(dt, func(k string) (string, bool) {
		v, ok := envs[k]
		return v, ok
	})
	if err != nil {
		return err
	}
	for k, v := range vals {
		if _, set := envs[k]; !set {
			envs[k] = v
		}
	}
	return nil
}
