package ha

import (
	"context"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Probe connects to etcd as cfg says, without campaigning, and returns
// who leads under cfg's prefix (zero when nobody does) and how many
// members the cluster has: what `hvbalancer check --connect` reports.
func Probe(ctx context.Context, cfg Config) (leader Identity, members int, err error) {
	if cfg, err = cfg.withDefaults(); err != nil {
		return leader, 0, err
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: cfg.Endpoints, TLS: cfg.TLS, DialTimeout: cfg.DialTimeout, Logger: zap.NewNop()})
	if err != nil {
		return leader, 0, fmt.Errorf("etcd client: %w", err)
	}
	defer client.Close()
	ml, err := client.MemberList(ctx)
	if err != nil {
		return leader, 0, fmt.Errorf("etcd members: %w", err)
	}
	resp, err := client.Get(ctx, cfg.Prefix+"/leader/", clientv3.WithFirstCreate()...)
	if err != nil {
		return leader, 0, fmt.Errorf("read the leader: %w", err)
	}
	if len(resp.Kvs) > 0 {
		if err := json.Unmarshal(resp.Kvs[0].Value, &leader); err != nil {
			leader = Identity{Name: string(resp.Kvs[0].Value)}
		}
	}
	return leader, len(ml.Members), nil
}
