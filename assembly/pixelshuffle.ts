// Depth ↔ space rearrangements of NCHW images by a factor r (PixelShuffle / PixelUnshuffle, ONNX
// DepthToSpace / SpaceToDepth), each the other's adjoint and inverse:
//   space[n, c, h·r + i, w·r + j] = depth[n, d(c, i, j), h, w]
// with the depth channel d(c, i, j) = c·r² + i·r + j (mode 0, CRD: PyTorch's) or (i·r + j)·C + c
// (mode 1, DCR: ONNX's default). The parameter block at paramsPtr (i32): [C, r, H, W, mode], C the
// space side's channels, H × W the depth side's planes (the space side's are H·r × W·r).
// Both kernels walk the space side's planes (n·C + c) and rows: each space row h·r + i interleaves
// (or, space to depth, de-interleaves) the r depth rows d(c, i, j), h; r = 2 zips 4 + 4 values
// with two shuffles per 8 outputs, other factors move single values.

@inline function slot(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** The depth channel of space channel c, row phase i, column phase j. */
@inline function depthChannel(c: i32, i: i32, j: i32, C: i32, r: i32, dcr: bool): i32 {
  return dcr ? (i * r + j) * C + c : c * r * r + i * r + j;
}

/** r = 2: one space row s (2·W values) and its two depth rows d0, d1: space ← depth when toSpace, else the reverse. */
@inline function rowMove(toSpace: bool, s: usize, d0: usize, d1: usize, W: i32): void {
  let w = 0;
  for (; w + 4 <= W; w += 4) {
    const so = <usize>w << 3, dof = <usize>w << 2;
    if (toSpace) {
      const a = v128.load(d0 + dof), b = v128.load(d1 + dof);
      v128.store(s + so, v128.shuffle<f32>(a, b, 0, 4, 1, 5));
      v128.store(s + so, v128.shuffle<f32>(a, b, 2, 6, 3, 7), 16);
    } else {
      const u = v128.load(s + so), v = v128.load(s + so, 16);
      v128.store(d0 + dof, v128.shuffle<f32>(u, v, 0, 2, 4, 6));
      v128.store(d1 + dof, v128.shuffle<f32>(u, v, 1, 3, 5, 7));
    }
  }
  for (; w < W; w++) {
    const so = <usize>w << 3, dof = <usize>w << 2;
    if (toSpace) {
      store<f32>(s + so, load<f32>(d0 + dof));
      store<f32>(s + so + 4, load<f32>(d1 + dof));
    } else {
      store<f32>(d0 + dof, load<f32>(s + so));
      store<f32>(d1 + dof, load<f32>(s + so + 4));
    }
  }
}

@inline function run(toSpace: bool, spacePtr: usize, depthPtr: usize, paramsPtr: usize, planeStart: i32, planeEnd: i32): void {
  const C = slot(paramsPtr, 0), r = slot(paramsPtr, 1), H = slot(paramsPtr, 2), W = slot(paramsPtr, 3);
  const dcr = slot(paramsPtr, 4) == 1;
  const plane = <usize>H * <usize>W << 2; // bytes of a depth plane
  const sRow = <usize>W * <usize>r << 2; // bytes of a space row
  for (let p = planeStart; p < planeEnd; p++) {
    const n = p / C, c = p - n * C;
    const space = spacePtr + <usize>p * <usize>r * <usize>r * plane;
    const depth = depthPtr + <usize>n * <usize>C * <usize>r * <usize>r * plane;
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < r; i++) {
        const s = space + (<usize>(h * r + i)) * sRow;
        const rowOff = <usize>h * <usize>W << 2;
        if (r == 2) {
          const d0 = depth + <usize>depthChannel(c, i, 0, C, r, dcr) * plane + rowOff;
          const d1 = depth + <usize>depthChannel(c, i, 1, C, r, dcr) * plane + rowOff;
          rowMove(toSpace, s, d0, d1, W);
          continue;
        }
        for (let j = 0; j < r; j++) {
          const d = depth + <usize>depthChannel(c, i, j, C, r, dcr) * plane + rowOff;
          const sr = <usize>r << 2;
          let sp = s + (<usize>j << 2);
          for (let w = 0; w < W; w++, sp += sr) {
            if (toSpace) store<f32>(sp, load<f32>(d + (<usize>w << 2)));
            else store<f32>(d + (<usize>w << 2), load<f32>(sp));
          }
        }
      }
    }
  }
}

/**
 * PixelShuffle / DepthToSpace: y (space, f32 [N, C, H·r, W·r]) from x (depth, f32 [N, C·r², H, W]),
 * space planes [planeStart, planeEnd) of the N·C. paramsPtr: [C, r, H, W, mode]. Every output value
 * is written once; nothing outside the planes is read or written.
 * @split range start=planeStart end=planeEnd cost=paramsPtr[1]*paramsPtr[1]*paramsPtr[2]*paramsPtr[3]*0.15
 */
export function depth_to_space_f32_simd(xPtr: usize, yPtr: usize, paramsPtr: usize, planeStart: i32, planeEnd: i32): void {
  run(true, yPtr, xPtr, paramsPtr, planeStart, planeEnd);
}

/**
 * PixelUnshuffle / SpaceToDepth, the inverse (and adjoint): y (depth, f32 [N, C·r², H, W]) from x
 * (space, f32 [N, C, H·r, W·r]); the range and parameters are the space side's, as
 * depth_to_space_f32_simd: space planes [planeStart, planeEnd) write their r² depth planes.
 * @split range start=planeStart end=planeEnd cost=paramsPtr[1]*paramsPtr[1]*paramsPtr[2]*paramsPtr[3]*0.15
 */
export function space_to_depth_f32_simd(xPtr: usize, yPtr: usize, paramsPtr: usize, planeStart: i32, planeEnd: i32): void {
  run(false, xPtr, yPtr, paramsPtr, planeStart, planeEnd);
}
