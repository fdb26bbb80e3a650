package bake

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/docker/buildx/util/buildflags"
	tunits "github.com/tonistiigi/units"
	"golang.org/x/crypto/ssh"
)

// buildx opens a target's secret store and SSH agents while it turns the
// target into build options, before --print, so a secret or key it cannot
// read fails `bake --print`. kiln checks the same sources here, as
// BuildKit's secretsprovider.NewStore and sshprovider.NewSSHAgentProvider
// (v0.34) do and with their messages, without opening a session: the
// builder opens the real providers when it starts one.
// TestSessionSpecsAsBuildKit compares the two.

// maxSecretSize is BuildKit's secretsprovider.MaxSecretSize.
const maxSecretSize = 500 * 1024

// maxKeySize is how much of a key file sshprovider reads.
const maxKeySize = 100 * 1024

// checkSecret rejects a secret a build could not read: an id alone names an
// environment variable when one is set, else a file.
func checkSecret(s *buildflags.Secret, lookupEnv func(string) (string, bool)) error {
	if s.ID == "" {
		return errors.New("secret missing ID")
	}
	path := s.FilePath
	if s.Env == "" && path == "" {
		if _, ok := lookupEnv(s.ID); !ok {
			path = s.ID
		}
	}
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("failed to stat %s: %w", path, err)
	}
	if fi.Size() > maxSecretSize {
		return fmt.Errorf("secret %s too big. max size %#.f", s.ID, maxSecretSize*tunits.B)
	}
	return nil
}

// agentConfig has the fields of sshprovider.AgentConfig, which its
// messages print with %v.
type agentConfig struct {
	ID    string
	Paths []string
	Raw   bool
}

// checkSSH rejects SSH agents a build could not forward: a socket or key
// file that is not there, a file that is not a private key, sockets and keys
// mixed, an id given twice. An agent without paths is SSH_AUTH_SOCK, read
// from the evaluation environment (BuildKit reads the process's). It
// returns the spec at fault with the error.
func checkSSH(specs []*buildflags.SSH, lookupEnv func(string) (string, bool)) (*buildflags.SSH, error) {
	seen := make(map[string]bool, len(specs))
	for _, s := range specs {
		cfg := agentConfig{ID: s.ID, Paths: slices.Clone(s.Paths)}
		if cfg.ID == "" {
			cfg.ID = "default"
		}
		if seen[cfg.ID] {
			return s, fmt.Errorf("duplicate agent ID %q", cfg.ID)
		}
		seen[cfg.ID] = true
		if err := checkAgent(cfg, lookupEnv); err != nil {
			return s, fmt.Errorf("failed to convert agent config %v: %w", cfg, err)
		}
	}
	return nil, nil
}

func checkAgent(cfg agentConfig, lookupEnv func(string) (string, bool)) error {
	paths := cfg.Paths
	if len(paths) == 0 || len(paths) == 1 && paths[0] == "" {
		sock, _ := lookupEnv("SSH_AUTH_SOCK")
		if sock == "" {
			return errors.New("invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set")
		}
		paths = []string{sock}
	}
	if err := checkAgentPaths(paths); err != nil {
		return fmt.Errorf("failed to convert agent config for ID: %q: %w", cfg.ID, err)
	}
	return nil
}

// checkAgentPaths accepts one socket, or any number of private key files.
func checkAgentPaths(paths []string) error {
	socket, keys := false, false
	for _, p := range paths {
		if socket {
			return errors.New("only single socket allowed")
		}
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSocket != 0 {
			socket = true
			continue
		}
		if err := checkKeyFile(p); err != nil {
			return err
		}
		keys = true
	}
	if socket && keys {
		return errors.New("invalid combination of keys and sockets")
	}
	return nil
}

func checkKeyFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", p, err)
	}
	dt, err := io.ReadAll(io.LimitReader(f, maxKeySize))
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", p, err)
	}
	if _, err := ssh.ParseRawPrivateKey(dt); err != nil {
		return fmt.Errorf("failed to parse %s: %w", p, err)
	}
	return nil
}
