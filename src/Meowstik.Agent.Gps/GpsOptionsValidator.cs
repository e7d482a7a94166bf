namespace Meowstik.Agent.Gps;

/// <summary>Checks <see cref="GpsOptions"/> when the host starts; every problem is reported, each naming its key.</summary>
internal static class GpsOptionsValidator
{
    public static IEnumerable<string> FindErrors(GpsOptions options, string sectionPath)
    {
        var errors = new List<string>();
        string Key(string option) => $"{sectionPath}:{option}";
        switch (options.Source)
        {
            case GpsSourceKind.Gpsd:
                if (string.IsNullOrWhiteSpace(options.GpsdHost))
                {
                    errors.Add($"{Key(nameof(GpsOptions.GpsdHost))} is empty: set gpsd's host, e.g. 127.0.0.1.");
                }

                if (options.GpsdPort is < 1 or > 65535)
                {
                    errors.Add($"{Key(nameof(GpsOptions.GpsdPort))} is {options.GpsdPort}: a TCP port is 1-65535 (gpsd listens on 2947).");
                }

                break;
            case GpsSourceKind.Serial:
                if (string.IsNullOrWhiteSpace(options.SerialPort))
                {
                    errors.Add($"{Key(nameof(GpsOptions.SerialPort))} is not set: Source is Serial, so name the receiver's port, e.g. /dev/ttyACM0.");
                }

                if (options.BaudRate <= 0)
                {
                    errors.Add($"{Key(nameof(GpsOptions.BaudRate))} is {options.BaudRate}: use the receiver's rate, e.g. 9600.");
                }

                break;
            case GpsSourceKind.File:
                if (string.IsNullOrWhiteSpace(options.NmeaFile))
                {
                    errors.Add($"{Key(nameof(GpsOptions.NmeaFile))} is not set: Source is File, so name the NMEA log to replay.");
                }
                else if (!File.Exists(options.NmeaFile))
                {
                    errors.Add($"{Key(nameof(GpsOptions.NmeaFile))} '{options.NmeaFile}' does not exist.");
                }

                if (options.FileFixInterval < TimeSpan.Zero)
                {
                    errors.Add($"{Key(nameof(GpsOptions.FileFixInterval))} is negative.");
                }

                break;
            default:
                errors.Add($"{Key(nameof(GpsOptions.Source))} is {options.Source}: use Gpsd, Serial or File.");
                break;
        }

        if (options.ReconnectInitialDelay <= TimeSpan.Zero || options.ReconnectMaxDelay < options.ReconnectInitialDelay)
        {
            errors.Add($"{Key(nameof(GpsOptions.ReconnectInitialDelay))} must be positive and at most {Key(nameof(GpsOptions.ReconnectMaxDelay))}.");
        }

        if (!double.IsFinite(options.TrackMaxRateHz) || options.TrackMaxRateHz <= 0 || options.TrackMaxRateHz > 100)
        {
            errors.Add($"{Key(nameof(GpsOptions.TrackMaxRateHz))} is {options.TrackMaxRateHz}: use a rate above 0 and at most 100 Hz.");
        }

        if (options.MaxTrackers < 1)
        {
            errors.Add($"{Key(nameof(GpsOptions.MaxTrackers))} is {options.MaxTrackers}: allow at least 1.");
        }

        if (options.StaleAfter <= TimeSpan.Zero)
        {
            errors.Add($"{Key(nameof(GpsOptions.StaleAfter))} must be positive.");
        }

        if (options.AverageSpeedWindow <= TimeSpan.Zero)
        {
            errors.Add($"{Key(nameof(GpsOptions.AverageSpeedWindow))} must be positive.");
        }

        if (!double.IsFinite(options.StationarySpeed) || options.StationarySpeed < 0)
        {
            errors.Add($"{Key(nameof(GpsOptions.StationarySpeed))} must be zero or more (m/s).");
        }

        return errors;
    }
}
