using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace SpdyLab.Results;

/// <summary>What the <c>meta</c> table says about the experiment a database holds.</summary>
public sealed record ExperimentInfo(string Name, string ExperimentFileText, string LabVersion, string Machine, DateTimeOffset StartedAt)
{
    /// <summary>The info for an experiment starting now on this machine.</summary>
    public static ExperimentInfo StartingNow(string name, string experimentFileText, string labVersion) =>
        new(name, experimentFileText, labVersion, DescribeMachine(), DateTimeOffset.UtcNow);

    /// <summary>Host name, OS, cores and runtime: enough to tell two machines' results apart.</summary>
    public static string DescribeMachine() =>
        $"{Environment.MachineName}; {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; " +
        $"{Environment.ProcessorCount} cores; .NET {Environment.Version}";
}

/// <summary>The database is not one this build can read (not a results database, or another schema version).</summary>
public sealed class ResultsFormatException(string message) : Exception(message);

/// <summary>
/// One experiment's results: a SQLite database with a <c>trials</c> table (one row per page load) and a
/// <c>meta</c> table (key/value). Rows are written as each trial completes, one transaction per row,
/// in WAL mode, so a run killed at any moment keeps every trial it finished; <see cref="CompletedTrialKeys"/>
/// tells a resumed run what to skip. Safe to use from several threads (parallel worlds) at once.
/// Schema: docs/results.md.
/// </summary>
public sealed class ResultsStore : IDisposable
{
    /// <summary>The schema this build writes and reads. Bump it when a column is added or changes meaning.</summary>
    public const int CurrentSchemaVersion = 2; // 2: the pcap_* packet evidence columns (issue #21)

    public static class MetaKeys
    {
        public const string SchemaVersion = "schema_version", Experiment = "experiment", ExperimentFile = "experiment_file",
            LabVersion = "lab_version", Machine = "machine", StartedAt = "started_at";
    }

    private readonly SqliteConnection connection;
    private readonly Lock gate = new();
    private readonly string upsertSql;

    private ResultsStore(string path, SqliteConnection connection)
    {
        FilePath = path;
        this.connection = connection;
        upsertSql = BuildUpsert();
    }

    public string FilePath { get; }

    /// <summary>Creates a new database for an experiment; fails if the file exists (resume with <see cref="OpenOrCreate"/>).</summary>
    public static ResultsStore Create(string path, ExperimentInfo info)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path}: a results database already exists; resume it, or choose another file");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        var connection = Connect(path, readOnly: false);
        try
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            using var transaction = connection.BeginTransaction();
            Execute(connection, "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);", transaction);
            Execute(connection, BuildCreateTable(), transaction);
            Execute(connection, "CREATE INDEX trials_by_configuration ON trials (design, link, protocol, transport, domain_mode, feature);", transaction);
            Execute(connection, "CREATE INDEX trials_by_site ON trials (site, run_index);", transaction);
            var store = new ResultsStore(path, connection);
            store.SetMetaCore(MetaKeys.SchemaVersion, CurrentSchemaVersion.ToString(CultureInfo.InvariantCulture), transaction);
            store.SetMetaCore(MetaKeys.Experiment, info.Name, transaction);
            store.SetMetaCore(MetaKeys.ExperimentFile, info.ExperimentFileText, transaction);
            store.SetMetaCore(MetaKeys.LabVersion, info.LabVersion, transaction);
            store.SetMetaCore(MetaKeys.Machine, info.Machine, transaction);
            store.SetMetaCore(MetaKeys.StartedAt, TrialColumns.FormatTime(info.StartedAt), transaction);
            transaction.Commit();
            return store;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing database (checking its schema version); read-only unless asked otherwise.</summary>
    public static ResultsStore Open(string path, bool readOnly = true)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such results database", path);
        }
        var connection = Connect(path, readOnly);
        try
        {
            CheckSchema(path, connection);
            if (!readOnly)
            {
                Execute(connection, "PRAGMA journal_mode=WAL;");
            }
            return new ResultsStore(path, connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens the database to resume an experiment, or creates it when it does not exist yet.</summary>
    public static ResultsStore OpenOrCreate(string path, ExperimentInfo info) =>
        File.Exists(path) ? Open(path, readOnly: false) : Create(path, info);

    public int SchemaVersion => int.Parse(Meta[MetaKeys.SchemaVersion], CultureInfo.InvariantCulture);

    /// <summary>Everything in the meta table.</summary>
    public IReadOnlyDictionary<string, string> Meta
    {
        get
        {
            lock (gate)
            {
                var meta = new Dictionary<string, string>();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT key, value FROM meta ORDER BY key;";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    meta[reader.GetString(0)] = reader.GetString(1);
                }
                return meta;
            }
        }
    }

    public string ExperimentName => Meta.GetValueOrDefault(MetaKeys.Experiment, "");

    public void SetMeta(string key, string value)
    {
        lock (gate)
        {
            SetMetaCore(key, value, null);
        }
    }

    /// <summary>
    /// Stores one finished trial in its own transaction. A trial whose key is already stored with
    /// status failed is replaced (a resumed run retries failures); one already stored with status ok is
    /// kept and false is returned. The record's <see cref="TrialRecord.Id"/> is set when stored.
    /// </summary>
    public bool Record(TrialRecord trial)
    {
        trial.Validate();
        lock (gate)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = upsertSql;
            foreach (var column in TrialColumns.All.Skip(1))
            {
                command.Parameters.AddWithValue("$" + column.Name, column.Get(trial) ?? DBNull.Value);
            }
            var changed = command.ExecuteNonQuery();
            if (changed == 0)
            {
                transaction.Rollback();
                return false;
            }
            using var idQuery = connection.CreateCommand();
            idQuery.Transaction = transaction;
            idQuery.CommandText = "SELECT id FROM trials WHERE trial_key = $key;";
            idQuery.Parameters.AddWithValue("$key", trial.TrialKey);
            trial.Id = (long)idQuery.ExecuteScalar()!;
            transaction.Commit();
            return true;
        }
    }

    /// <summary>Keys of the trials stored with status ok: the ones a resumed run must not repeat.</summary>
    public IReadOnlySet<string> CompletedTrialKeys()
    {
        lock (gate)
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT trial_key FROM trials WHERE status = 'ok';";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                keys.Add(reader.GetString(0));
            }
            return keys;
        }
    }

    public int CountTrials(string? status = null)
    {
        lock (gate)
        {
            using var command = connection.CreateCommand();
            command.CommandText = status is null ? "SELECT COUNT(*) FROM trials;" : "SELECT COUNT(*) FROM trials WHERE status = $status;";
            if (status is not null)
            {
                command.Parameters.AddWithValue("$status", status);
            }
            return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Every stored trial, in the order they were stored.</summary>
    public IReadOnlyList<TrialRecord> ReadTrials()
    {
        lock (gate)
        {
            var trials = new List<TrialRecord>();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {string.Join(", ", TrialColumns.All.Select(c => c.Name))} FROM trials ORDER BY id;";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var trial = new TrialRecord();
                for (var i = 0; i < TrialColumns.All.Count; i++)
                {
                    var column = TrialColumns.All[i];
                    object? value = reader.IsDBNull(i) ? null : column.Kind switch
                    {
                        ColumnKind.Integer => reader.GetInt64(i),
                        ColumnKind.Real => reader.GetDouble(i),
                        _ => reader.GetString(i),
                    };
                    column.Set(trial, value);
                }
                trials.Add(trial);
            }
            return trials;
        }
    }

    /// <summary>Resolves an artifact path stored in a row (har_path, pcap_path) against the database's directory.</summary>
    public string ResolveArtifact(string storedPath) =>
        Path.IsPathRooted(storedPath) ? storedPath : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(FilePath)) ?? ".", storedPath);

    public void Dispose()
    {
        lock (gate)
        {
            connection.Dispose();
        }
    }

    private static SqliteConnection Connect(string path, bool readOnly)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            // No pooling: Dispose really closes the file, so a finished run leaves no handle (and tests can delete it).
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        // Another process (a report while the run goes on) may hold the lock for a moment.
        Execute(connection, "PRAGMA busy_timeout=5000;");
        if (!readOnly)
        {
            // FULL: a committed trial survives even a power cut, at a cost that is nothing next to a page load.
            Execute(connection, "PRAGMA synchronous=FULL;");
        }
        return connection;
    }

    private static void CheckSchema(string path, SqliteConnection connection)
    {
        string? version;
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM meta WHERE key = 'schema_version';";
            version = command.ExecuteScalar() as string;
        }
        catch (SqliteException e)
        {
            throw new ResultsFormatException($"{path}: not a SpdyLab results database ({e.Message.TrimEnd('.')}; expected tables meta and trials)");
        }
        if (version is null)
        {
            throw new ResultsFormatException($"{path}: not a SpdyLab results database (the meta table has no schema_version)");
        }
        if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number != CurrentSchemaVersion)
        {
            var newer = int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > CurrentSchemaVersion
                ? " It was written by a newer SpdyLab: update this checkout."
                : " It was written by an older SpdyLab: re-run the experiment, or read it with that version.";
            throw new ResultsFormatException(
                $"{path}: results schema version '{version}' is not supported; this build reads version {CurrentSchemaVersion}.{newer}");
        }
    }

    private void SetMetaCore(string key, string value, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value;";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static string BuildCreateTable()
    {
        var sql = new StringBuilder("CREATE TABLE trials (\n");
        foreach (var column in TrialColumns.All)
        {
            sql.Append("  ").Append(column.Name).Append(' ').Append(column.SqlType);
            if (column.Name == "id")
            {
                sql.Append(" PRIMARY KEY AUTOINCREMENT");
            }
            else
            {
                if (!column.Nullable)
                {
                    sql.Append(" NOT NULL");
                }
                if (column.Name == "trial_key")
                {
                    sql.Append(" UNIQUE");
                }
            }
            sql.Append(",\n");
        }
        sql.Append("  CHECK (status IN ('ok', 'failed'))\n);");
        return sql.ToString();
    }

    private static string BuildUpsert()
    {
        var columns = TrialColumns.All.Skip(1).Select(c => c.Name).ToList();
        return $"INSERT INTO trials ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "$" + c))}) " +
               $"ON CONFLICT(trial_key) DO UPDATE SET {string.Join(", ", columns.Select(c => $"{c} = excluded.{c}"))} " +
               "WHERE trials.status <> 'ok';";
    }
}
