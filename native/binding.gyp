{
  "targets": [
    {
      "target_name": "tsvs_afpacket",
      "sources": ["afpacket.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpcap"]
    }
  ]
}
