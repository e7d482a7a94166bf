namespace Meowstik.Agent.Gps;

/// <summary>Great-circle arithmetic on a spherical Earth.</summary>
public static class GeoMath
{
    /// <summary>The mean Earth radius used, in metres (6371 km; the sphere's error against WGS 84 is under 0.5 %).</summary>
    public const double EarthRadiusMeters = 6_371_000;

    /// <summary>Metres in one statute mile.</summary>
    public const double MetersPerMile = 1609.344;

    /// <summary>
    /// The haversine distance between two points: a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2), d = 2R · atan2(√a, √(1−a)).
    /// </summary>
    /// <param name="lat1">First latitude in degrees.</param>
    /// <param name="lng1">First longitude in degrees.</param>
    /// <param name="lat2">Second latitude in degrees.</param>
    /// <param name="lng2">Second longitude in degrees.</param>
    /// <returns>The distance in metres.</returns>
    public static double HaversineMeters(double lat1, double lng1, double lat2, double lng2)
    {
        double phi1 = DegreesToRadians(lat1);
        double phi2 = DegreesToRadians(lat2);
        double dPhi = DegreesToRadians(lat2 - lat1);
        double dLambda = DegreesToRadians(lng2 - lng1);
        double sinPhi = Math.Sin(dPhi / 2);
        double sinLambda = Math.Sin(dLambda / 2);
        double a = sinPhi * sinPhi + Math.Cos(phi1) * Math.Cos(phi2) * sinLambda * sinLambda;
        return 2 * EarthRadiusMeters * Math.Atan2(Math.Sqrt(a), Math.Sqrt(1 - a));
    }

    private static double DegreesToRadians(double degrees) => degrees * Math.PI / 180;
}
