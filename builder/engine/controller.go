package engine

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/moby/buildkit/cache/remotecache"
	inlineremotecache "github.com/moby/buildkit/cache/remotecache/inline"
	localremotecache "github.com/moby/buildkit/cache/remotecache/local"
	registryremotecache "github.com/moby/buildkit/cache/remotecache/registry"
	"github.com/moby/buildkit/cmd/buildkitd/config"
	"github.com/moby/buildkit/control"
	"github.com/moby/buildkit/frontend"
	dockerfile "github.com/moby/buildkit/frontend/dockerfile/builder"
	"github.com/moby/buildkit/frontend/gateway"
	"github.com/moby/buildkit/frontend/gateway/forwarder"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/solver"
	"github.com/moby/buildkit/solver/bboltcachestorage"
	"github.com/moby/buildkit/util/db/boltutil"
	"github.com/moby/buildkit/util/resolver"
	"github.com/moby/buildkit/worker"
	bolt "go.etcd.io/bbolt"
)

// newController assembles what buildkitd's newController does, minus
// tracing, CDI and the cloud caches: one runc worker, the dockerfile and
// gateway frontends, bolt cache and history stores, registry and local
// cache import/export. stop is closed to end history streams on shutdown.
func newController(ctx context.Context, cfg *config.Config, cl *closers, stop <-chan struct{}) (*control.Controller, *stoppableWorker, error) {
	sm, err := session.NewManager()
	if err != nil {
		return nil, nil, fmt.Errorf("session manager: %w", err)
	}
	hosts := resolver.NewRegistryConfig(cfg.Registries)

	bw, err := newWorker(ctx, cfg, hosts, cl)
	if err != nil {
		return nil, nil, err
	}
	w := &stoppableWorker{Worker: bw}
	wc := &worker.Controller{}
	if err := wc.Add(w); err != nil {
		w.Close()
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			wc.Close()
		}
	}()

	frontends := map[string]frontend.Frontend{}
	if e := cfg.Frontends.Dockerfile.Enabled; e == nil || *e {
		frontends["dockerfile.v0"] = forwarder.NewGatewayForwarder(wc.Infos(), dockerfile.Build)
	}
	if e := cfg.Frontends.Gateway.Enabled; e == nil || *e {
		gw, err := gateway.NewGatewayFrontend(wc.Infos(), cfg.Frontends.Gateway.AllowedRepositories)
		if err != nil {
			return nil, nil, fmt.Errorf("gateway frontend: %w", err)
		}
		frontends["gateway.v0"] = gw
	}

	cacheStore, err := bboltcachestorage.NewStore(filepath.Join(cfg.Root, "cache.db"))
	if err != nil {
		return nil, nil, fmt.Errorf("cache store: %w", err)
	}
	cl.add(cacheStore) // closed by Controller.Close too; closing twice is harmless
	historyDB, err := boltutil.SafeOpen(filepath.Join(cfg.Root, "history.db"), 0o600, &bolt.Options{
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("history store: %w", err)
	}
	cl.add(historyDB)

	ctl, err := control.NewController(control.Opt{
		SessionManager:   sm,
		WorkerController: wc,
		Frontends:        frontends,
		ResolveCacheExporterFuncs: map[string]remotecache.ResolveCacheExporterFunc{
			"registry": registryremotecache.ResolveCacheExporterFunc(sm, hosts),
			"local":    localremotecache.ResolveCacheExporterFunc(sm),
			"inline":   inlineremotecache.ResolveCacheExporterFunc(),
		},
		ResolveCacheImporterFuncs: map[string]remotecache.ResolveCacheImporterFunc{
			"registry": registryremotecache.ResolveCacheImporterFunc(sm, w.ContentStore(), hosts),
			"local":    localremotecache.ResolveCacheImporterFunc(sm),
		},
		CacheManager:   solver.NewCacheManager(ctx, "local", cacheStore, worker.NewCacheResultStorage(wc)),
		Entitlements:   cfg.Entitlements,
		HistoryDB:      historyDB,
		CacheStore:     cacheStore,
		LeaseManager:   w.LeaseManager(),
		ContentStore:   w.ContentStore(),
		HistoryConfig:  cfg.History,
		ProxyNetwork:   cfg.ProxyNetwork,
		GarbageCollect: w.GarbageCollect,
		GracefulStop:   stop,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("controller: %w", err)
	}
	ok = true
	return ctl, w, nil
}
