package iceberg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/glue"
	"github.com/apache/iceberg-go/catalog/rest"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	iceio "github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // s3:// warehouses
	icetable "github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/utils"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver, pure Go

	"github.com/logsmith/logsmith/storage"
)

// DefaultNamespace is the namespace tables live in when Options.Namespace
// is empty.
const DefaultNamespace = "logsmith"

// catalogName is the name the SQL catalog stores in its rows: every logsmith
// run against one database must use the same one.
const catalogName = "logsmith"

// Options say where the catalog and the warehouse are.
type Options struct {
	// Catalog is the catalog's URI:
	//   sqlite:///path/catalog.db   a SQLite file (created with its folder)
	//   postgres://user:pw@host:port/db?sslmode=disable   PostgreSQL (postgresql:// too)
	//   http(s)://host/path         an Iceberg REST catalog (Polaris, Nessie, Glue/S3 Tables REST)
	//   glue                        AWS Glue, with the AWS SDK's default credentials chain
	Catalog string
	// Namespace holds the tables; DefaultNamespace when empty.
	Namespace string
	// Warehouse is where new tables are located: a local folder (absolute,
	// or a file:// URL) or s3://bucket/prefix.
	Warehouse string
	// S3 reaches an s3:// warehouse (MinIO included): Endpoint, Region,
	// AccessKey and SecretKey (with no keys, the AWS SDK's default
	// credentials chain), Insecure and CAFile. MaxRetries and Timeout are
	// the AWS SDK's own.
	S3 storage.S3Config
	// S3VirtualHosted addresses buckets as bucket.endpoint instead of
	// endpoint/bucket; path style is the default whenever Endpoint is set.
	S3VirtualHosted bool
	// RESTCredential ("client_id:client_secret") or RESTToken authenticate
	// to a REST catalog.
	RESTCredential, RESTToken string
	// RESTWarehouse is the warehouse a REST catalog serves, as it names it
	// (Polaris: the catalog's name; S3 Tables: the table bucket's ARN);
	// none when empty. Tables are located under Warehouse regardless.
	RESTWarehouse string
	// RESTSigV4Service signs REST requests with AWS SigV4 for this service
	// ("glue" for the Glue Iceberg REST endpoint, "s3tables" for S3
	// Tables), in S3.Region, with the AWS SDK's default credentials chain.
	RESTSigV4Service string
	// NoCreate opens the catalog without creating anything in it: no
	// SQLite file, no SQL catalog tables, no namespace (for commands that
	// read, or change only tables that exist). A missing namespace then
	// holds no tables.
	NoCreate bool
}

// Catalog is an open catalog and the namespace logsmith's tables are in.
// It is safe for concurrent use.
type Catalog struct {
	cat       catalog.Catalog
	ns        icetable.Identifier
	warehouse string // no trailing slash
	closers   []func() error
	// aws, when set, is the AWS SDK config iceberg-go's S3 FileIO starts
	// from (it takes it from the context): the one way to trust a CA file.
	aws *aws.Config
}

// with gives ctx the AWS config of an S3 warehouse with a CA file.
func (c *Catalog) with(ctx context.Context) context.Context {
	if c.aws == nil {
		return ctx
	}
	return utils.WithAwsConfig(ctx, c.aws)
}

// Open connects to the catalog, creating the SQL catalog's tables and the
// namespace when they do not exist (unless o.NoCreate). Close releases it.
func Open(ctx context.Context, o Options) (*Catalog, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	warehouse, err := warehouseURL(o.Warehouse, !o.NoCreate)
	if err != nil {
		return nil, err
	}
	props := ioProps(o)
	c := &Catalog{ns: catalog.ToIdentifier(strings.Split(o.Namespace, ".")...), warehouse: warehouse}
	if o.S3.CAFile != "" {
		ca, err := os.ReadFile(o.S3.CAFile)
		if err != nil {
			return nil, fmt.Errorf("iceberg warehouse: S3 CA file: %w", err)
		}
		opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithCustomCABundle(bytes.NewReader(ca))}
		if o.S3.Region != "" {
			opts = append(opts, awsconfig.WithRegion(o.S3.Region))
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("iceberg warehouse: S3 CA file %s: %w", o.S3.CAFile, err)
		}
		c.aws = &cfg
	}
	ctx = c.with(ctx)
	uri := o.Catalog
	switch {
	case strings.HasPrefix(uri, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(uri, "sqlite:"), "//")
		if path == "" {
			return nil, fmt.Errorf("iceberg catalog %q: no file path", uri)
		}
		if _, err := os.Stat(path); err != nil && o.NoCreate {
			return nil, fmt.Errorf("iceberg catalog %q: %w", uri, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("iceberg catalog %q: %w", uri, err)
		}
		// WAL and a busy timeout let several processes (and goroutines)
		// commit; BEGIN IMMEDIATE takes the write lock up front so two
		// writers wait for each other instead of failing on upgrade.
		dsn := "file:" + path + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_txlock=immediate"
		err = c.openSQL(ctx, "sqlite", dsn, sqlcat.SQLite, props, o.NoCreate)
	case strings.HasPrefix(uri, "postgres://"), strings.HasPrefix(uri, "postgresql://"):
		err = c.openSQL(ctx, "pgx", uri, sqlcat.Postgres, props, o.NoCreate)
	case strings.HasPrefix(uri, "http://"), strings.HasPrefix(uri, "https://"):
		opts := []rest.Option{rest.WithAdditionalProps(props)}
		if o.RESTWarehouse != "" {
			opts = append(opts, rest.WithWarehouseLocation(o.RESTWarehouse))
		}
		if o.RESTSigV4Service != "" {
			opts = append(opts, rest.WithSigV4RegionSvc(o.S3.Region, o.RESTSigV4Service))
		}
		if o.RESTCredential != "" {
			opts = append(opts, rest.WithCredential(o.RESTCredential))
		}
		if o.RESTToken != "" {
			opts = append(opts, rest.WithOAuthToken(o.RESTToken))
		}
		var rc *rest.Catalog
		if rc, err = rest.NewCatalog(ctx, catalogName, uri, opts...); err == nil {
			c.cat = rc
		}
	case uri == "glue":
		var loadOpts []func(*awsconfig.LoadOptions) error
		if o.S3.Region != "" {
			loadOpts = append(loadOpts, awsconfig.WithRegion(o.S3.Region))
		}
		cfg, cerr := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
		if cerr != nil {
			return nil, fmt.Errorf("iceberg catalog glue: load AWS config: %w", cerr)
		}
		var gc *glue.Catalog
		if gc, err = glue.NewCatalog(glue.WithAwsConfig(cfg), glue.WithAwsProperties(glue.AwsProperties(props))); err == nil {
			c.cat = gc
		}
	default:
		return nil, fmt.Errorf("iceberg catalog %q: want sqlite:///path, postgres://…, http(s)://… or glue", uri)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open iceberg catalog %s: %w", Redact(uri), err)
	}
	if o.NoCreate {
		return c, nil
	}
	if err := c.cat.CreateNamespace(ctx, c.ns, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		c.Close()
		return nil, fmt.Errorf("create iceberg namespace %s: %w", o.Namespace, err)
	}
	return c, nil
}

func (c *Catalog) openSQL(ctx context.Context, driver, dsn string, dialect sqlcat.SupportedDialect, ioProps iceberg.Properties, noCreate bool) error {
	props := maps.Clone(ioProps)
	props["warehouse"] = c.warehouse
	if noCreate {
		props["init_catalog_tables"] = "false"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	c.closers = append(c.closers, db.Close)
	if err := db.PingContext(ctx); err != nil {
		return err
	}
	sc, err := sqlcat.NewCatalog(catalogName, db, dialect, props)
	if err != nil {
		return err
	}
	c.cat = sc
	return nil
}

// Close releases the catalog's connections.
func (c *Catalog) Close() error {
	var errs []error
	if cl, ok := c.cat.(catalog.Closer); ok {
		errs = append(errs, cl.Close())
	}
	for _, f := range slices.Backward(c.closers) {
		errs = append(errs, f())
	}
	c.closers = nil
	return errors.Join(errs...)
}

// Tables lists the names of the feature tables in the namespace.
func (c *Catalog) Tables(ctx context.Context) ([]string, error) {
	ctx = c.with(ctx)
	var names []string
	for id, err := range c.cat.ListTables(ctx, c.ns) {
		if errors.Is(err, catalog.ErrNoSuchNamespace) {
			return nil, nil // not created yet (NoCreate)
		}
		if noCatalogTables(err) {
			// A database no run has set up, or one whose catalog this
			// user cannot see (PostgreSQL says the same for a schema it
			// may not use): not taken for an empty catalog.
			return nil, fmt.Errorf("list iceberg tables: the database has no Iceberg catalog tables this user can see (no run has written to it yet?): %w", err)
		}
		if err != nil {
			return nil, fmt.Errorf("list iceberg tables: %w", err)
		}
		if name := catalog.TableNameFromIdent(id); isTableName(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// noCatalogTables reports whether err is a SQL catalog's query of its own
// tables where they cannot be found (NoCreate): PostgreSQL's
// undefined_table, SQLite's "no such table".
func noCatalogTables(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "42P01" && strings.Contains(pg.Message, "iceberg_")
	}
	return err != nil && strings.Contains(err.Error(), "no such table: iceberg_")
}

func (c *Catalog) ident(name string) icetable.Identifier {
	return append(slices.Clone(c.ns), name)
}

// location is where a new table's files go.
func (c *Catalog) location(name string) string {
	return c.warehouse + "/" + strings.Join(c.ns, ".") + ".db/" + name
}

// warehouseURL turns a folder or URL into the URL iceberg-go's IO expects,
// creating a local folder when create is set.
func warehouseURL(w string, create bool) (string, error) {
	if w == "" {
		return "", errors.New("iceberg: no warehouse location")
	}
	if strings.HasPrefix(w, "s3://") || strings.HasPrefix(w, "file://") {
		u, err := url.Parse(w)
		if err != nil {
			return "", fmt.Errorf("iceberg warehouse %q: %w", w, err)
		}
		if u.Scheme == "s3" && u.Host == "" {
			return "", fmt.Errorf("iceberg warehouse %q: no bucket", w)
		}
		return strings.TrimRight(w, "/"), nil
	}
	if strings.Contains(w, "://") {
		return "", fmt.Errorf("iceberg warehouse %q: want a folder or s3://bucket/prefix", w)
	}
	abs, err := filepath.Abs(w)
	if err != nil {
		return "", fmt.Errorf("iceberg warehouse %q: %w", w, err)
	}
	if create {
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return "", fmt.Errorf("iceberg warehouse %q: %w", w, err)
		}
	}
	return "file://" + filepath.ToSlash(abs), nil
}

// ioProps are iceberg-go's S3 FileIO properties for the settings.
func ioProps(o Options) iceberg.Properties {
	p := iceberg.Properties{}
	s := o.S3
	if s.Endpoint != "" {
		ep := s.Endpoint
		if !strings.Contains(ep, "://") {
			scheme := "https://"
			if s.Insecure {
				scheme = "http://"
			}
			ep = scheme + ep
		}
		p[iceio.S3EndpointURL] = ep
	}
	if s.Region != "" {
		p[iceio.S3Region] = s.Region
	}
	if s.AccessKey != "" || s.SecretKey != "" {
		p[iceio.S3AccessKeyID] = s.AccessKey
		p[iceio.S3SecretAccessKey] = s.SecretKey
	}
	if o.S3VirtualHosted {
		p[iceio.S3ForceVirtualAddressing] = "true"
	}
	return p
}

// Redact masks the passwords a catalog URI or connection string may hold:
// the user info's (postgres://user:pw@host, parseable or not) and any
// password=… (a query parameter or a key=value connection string).
func Redact(s string) string {
	s = userInfoPassword.ReplaceAllString(s, "${1}xxxxx@")
	return passwordParam.ReplaceAllString(s, "${1}xxxxx")
}

var (
	userInfoPassword = regexp.MustCompile(`(:/*[^:/@\s]*:)\S*@`)
	passwordParam    = regexp.MustCompile(`(?i)(password\s*=\s*)[^&\s;]*`)
)
