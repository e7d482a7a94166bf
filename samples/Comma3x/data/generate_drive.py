#!/usr/bin/env python3
"""Generates the Comma3x sample's simulated drive: drive.nmea (GPS, 1 Hz RMC+GGA) and drive.candump
(`candump -L` format, 10 Hz VEHICLE_SPEED and CRUISE_STATE frames of vehicle.dbc), from one speed profile, so the
CAN speed and the GPS positions agree. Deterministic: run `python3 generate_drive.py` here to reproduce the files.
The drive: 120 s on WA-8 west of Olympia, heading towards Ocean Shores, 50 -> 65 -> 50 mph, cruise engaged until 15 s before the end."""
import math

START_LAT, START_LNG = 47.1234, -122.5678      # the design document's status example
HEADING = 262.0                                # degrees, roughly towards Ocean Shores (46.9737, -124.1563)
DURATION_S = 120
EPOCH = 1768824000                             # 2026-01-19T12:00:00Z
MPH = 0.44704                                  # m/s per mph

def speed_mph(t):
    if t < 20:
        v = 50 + 15 * (t / 20)
    elif t > DURATION_S - 20:
        v = 65 - 15 * ((t - (DURATION_S - 20)) / 20)
    else:
        v = 65 + 1.5 * math.sin((t - 20) / 9.0)
    return v

def checksum(body):
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"{body}*{c:02X}"

def nmea_coord(value, lat):
    hemi = ("N" if value >= 0 else "S") if lat else ("E" if value >= 0 else "W")
    value = abs(value)
    deg = int(value)
    minutes = (value - deg) * 60
    return (f"{deg:02d}{minutes:07.4f}" if lat else f"{deg:03d}{minutes:07.4f}"), hemi

def main():
    lat, lng, odo = START_LAT, START_LNG, 0.0
    dt = 0.1
    nmea, can = [], []
    for step in range(int(DURATION_S / dt)):
        t = step * dt
        v = speed_mph(t) * MPH                 # m/s
        if step % 10 == 0:                     # 1 Hz GPS
            secs = EPOCH + int(t)
            hh, mm, ss = (secs // 3600) % 24, (secs // 60) % 60, secs % 60
            la, ns = nmea_coord(lat, True)
            lo, ew = nmea_coord(lng, False)
            knots = v / (1852.0 / 3600.0)
            nmea.append("$" + checksum(f"GPRMC,{hh:02d}{mm:02d}{ss:02d}.00,A,{la},{ns},{lo},{ew},{knots:.2f},{HEADING:.1f},190126,,,A"))
            nmea.append("$" + checksum(f"GPGGA,{hh:02d}{mm:02d}{ss:02d}.00,{la},{ns},{lo},{ew},1,09,0.9,41.0,M,-19.6,M,,"))
        ts = EPOCH + t
        kph = int(round(v * 3.6 / 0.01))
        data = kph.to_bytes(2, "little") + int(odo).to_bytes(4, "little") + bytes(2)
        can.append(f"({ts:.6f}) can0 1A0#{data.hex().upper()}")
        engaged = 1 if t < DURATION_S - 15 else 0   # the driver takes over while slowing down at the end
        data = bytes([engaged, 105 if engaged else 0]) + bytes(6)
        can.append(f"({ts + 0.0005:.6f}) can0 1A1#{data.hex().upper()}")
        # move
        d = v * dt
        odo += d
        lat += (d * math.cos(math.radians(HEADING))) / 111_320.0
        lng += (d * math.sin(math.radians(HEADING))) / (111_320.0 * math.cos(math.radians(lat)))
    with open("drive.nmea", "w", newline="\n") as f:
        f.write("\n".join(nmea) + "\n")
    with open("drive.candump", "w", newline="\n") as f:
        f.write("\n".join(can) + "\n")

if __name__ == "__main__":
    main()
