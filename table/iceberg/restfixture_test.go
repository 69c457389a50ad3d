package iceberg_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	ice "github.com/logsmith/logsmith/table/iceberg"
)

// restCatalog serves the part of the Iceberg REST catalog API that
// iceberg-go's REST client uses here, over a SQLite catalog of the same
// warehouse: enough to run the package's tests through the REST catalog
// path (commit conflicts arrive as HTTP 409). It is a test fixture, not an
// implementation of the spec.
func restCatalog(t *testing.T, o ice.Options) string {
	t.Helper()
	o.Catalog = "sqlite://" + filepath.Join(t.TempDir(), "rest-backend.db")
	backend := open(t, o)
	cat := backend.Raw()
	ctx := context.Background()

	fail := func(w http.ResponseWriter, code int, typ string, err error) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": err.Error(), "type": typ, "code": code}})
	}
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(v); err != nil {
			t.Logf("rest fixture: encode reply: %v", err) // a killed client
		}
	}
	ident := func(r *http.Request) icetable.Identifier {
		return append(strings.Split(r.PathValue("ns"), "\x1f"), r.PathValue("t"))
	}
	tableReply := func(w http.ResponseWriter, tbl *icetable.Table) {
		reply(w, map[string]any{"metadata-location": tbl.MetadataLocation(), "metadata": tbl.Metadata(), "config": map[string]string{}})
	}
	loadErr := func(w http.ResponseWriter, err error) {
		if errors.Is(err, catalog.ErrNoSuchTable) {
			fail(w, http.StatusNotFound, "NoSuchTableException", err)
			return
		}
		fail(w, http.StatusInternalServerError, "RuntimeException", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/config", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"defaults": map[string]string{}, "overrides": map[string]string{}})
	})
	mux.HandleFunc("POST /v1/namespaces", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Namespace  []string           `json:"namespace"`
			Properties iceberg.Properties `json:"properties"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fail(w, http.StatusBadRequest, "BadRequestException", err)
			return
		}
		err := cat.CreateNamespace(ctx, req.Namespace, req.Properties)
		if errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
			fail(w, http.StatusConflict, "AlreadyExistsException", err)
			return
		} else if err != nil {
			fail(w, http.StatusInternalServerError, "RuntimeException", err)
			return
		}
		reply(w, map[string]any{"namespace": req.Namespace, "properties": req.Properties})
	})
	mux.HandleFunc("GET /v1/namespaces/{ns}", func(w http.ResponseWriter, r *http.Request) {
		ns := strings.Split(r.PathValue("ns"), "\x1f")
		props, err := cat.LoadNamespaceProperties(ctx, ns)
		if errors.Is(err, catalog.ErrNoSuchNamespace) {
			fail(w, http.StatusNotFound, "NoSuchNamespaceException", err)
			return
		} else if err != nil {
			fail(w, http.StatusInternalServerError, "RuntimeException", err)
			return
		}
		reply(w, map[string]any{"namespace": ns, "properties": props})
	})
	mux.HandleFunc("GET /v1/namespaces/{ns}/tables", func(w http.ResponseWriter, r *http.Request) {
		ns := strings.Split(r.PathValue("ns"), "\x1f")
		var ids []map[string]any
		for id, err := range cat.ListTables(ctx, ns) {
			if errors.Is(err, catalog.ErrNoSuchNamespace) {
				fail(w, http.StatusNotFound, "NoSuchNamespaceException", err)
				return
			}
			if err != nil {
				fail(w, http.StatusInternalServerError, "RuntimeException", err)
				return
			}
			ids = append(ids, map[string]any{"namespace": ns, "name": catalog.TableNameFromIdent(id)})
		}
		reply(w, map[string]any{"identifiers": ids})
	})
	mux.HandleFunc("POST /v1/namespaces/{ns}/tables", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name     string                 `json:"name"`
			Schema   *iceberg.Schema        `json:"schema"`
			Location string                 `json:"location"`
			Spec     *iceberg.PartitionSpec `json:"partition-spec"`
			Props    iceberg.Properties     `json:"properties"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fail(w, http.StatusBadRequest, "BadRequestException", err)
			return
		}
		opts := []catalog.CreateTableOpt{catalog.WithLocation(req.Location), catalog.WithProperties(req.Props)}
		if req.Spec != nil {
			opts = append(opts, catalog.WithPartitionSpec(req.Spec))
		}
		tbl, err := cat.CreateTable(ctx, append(strings.Split(r.PathValue("ns"), "\x1f"), req.Name), req.Schema, opts...)
		if errors.Is(err, catalog.ErrTableAlreadyExists) {
			fail(w, http.StatusConflict, "AlreadyExistsException", err)
			return
		} else if err != nil {
			fail(w, http.StatusInternalServerError, "RuntimeException", err)
			return
		}
		tableReply(w, tbl)
	})
	mux.HandleFunc("GET /v1/namespaces/{ns}/tables/{t}", func(w http.ResponseWriter, r *http.Request) {
		tbl, err := cat.LoadTable(ctx, ident(r))
		if err != nil {
			loadErr(w, err)
			return
		}
		tableReply(w, tbl)
	})
	mux.HandleFunc("POST /v1/namespaces/{ns}/tables/{t}", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Requirements icetable.Requirements `json:"requirements"`
			Updates      icetable.Updates      `json:"updates"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fail(w, http.StatusBadRequest, "BadRequestException", err)
			return
		}
		meta, loc, err := cat.CommitTable(ctx, ident(r), req.Requirements, req.Updates)
		switch {
		case errors.Is(err, catalog.ErrNoSuchTable):
			fail(w, http.StatusNotFound, "NoSuchTableException", err)
		case err != nil && (errors.Is(err, icetable.ErrCommitFailed) || strings.Contains(err.Error(), "requirement failed")):
			fail(w, http.StatusConflict, "CommitFailedException", err)
		case err != nil:
			fail(w, http.StatusInternalServerError, "RuntimeException", err)
		default:
			reply(w, map[string]any{"metadata-location": loc, "metadata": meta})
		}
	})
	mux.HandleFunc("POST /v1/namespaces/{ns}/tables/{t}/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("rest fixture: no route for %s %s", r.Method, r.URL.Path)
		fail(w, http.StatusNotFound, "NotFoundException", errors.New("no route"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}
