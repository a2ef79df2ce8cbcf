{
  "targets": [
    {
      "target_name": "tsvs_afpacket",
      "sources": [
        "afpacket.c"
      ],
      "cflags": [
        "-std=gnu11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ],
      "libraries": [
        "-lpcap"
      ]
    }
  ],
  "conditions": [
    [
      "'<!(test -f /usr/include/bpf/libbpf.h && command -v clang >/dev/null && echo yes || echo no)'=='yes'",
      {
        "targets": [
          {
            "target_name": "tsvs_afxdp",
            "sources": [
              "afxdp.c"
            ],
            "cflags": [
              "-std=gnu11",
              "-O2",
              "-Wall",
              "-Wextra",
              "-Wno-unused-parameter",
              "-Wno-missing-field-initializers"
            ],
            "libraries": [
              "-lbpf"
            ],
            "actions": [
              {
                "action_name": "xdp_steer",
                "inputs": [
                  "xdp_steer.c"
                ],
                "outputs": [
                  "<(PRODUCT_DIR)/tsvs_xdp.bpf.o"
                ],
                "action": [
                  "clang",
                  "-O2",
                  "-g",
                  "-target",
                  "bpf",
                  "-I/usr/include/<!(gcc -print-multiarch)",
                  "-c",
                  "xdp_steer.c",
                  "-o",
                  "<(PRODUCT_DIR)/tsvs_xdp.bpf.o"
                ]
              }
            ]
          }
        ]
      }
    ]
  ]
}
