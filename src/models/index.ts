// The lecture's architectures as builders.
export { lenet5, digitNet, type LeNetOptions } from './lenet.js';
export { alexnet, zfnet, type AlexNetOptions } from './alexnet.js';
export { vgg16, vgg19, type VggOptions } from './vgg.js';
export { googlenet, type GoogLeNetOptions } from './googlenet.js';
export { resnet18, resnet34, resnet50, resnet101, resnet152, type ResNetOptions } from './resnet.js';
export { mobilenetV2, mobilenetV3Small, mobilenetV3Large } from './mobilenet.js';
export { efficientnetB0 } from './efficientnet.js';
export { shufflenetV2 } from './shufflenet.js';
export { squeezenet1_1 } from './squeezenet.js';
export { convnextTiny, type ConvNeXtOptions } from './convnext.js';
export type { ZooOptions } from './blocks.js';
export { torchvisionName, loadStateDict, type StateDictEntries, type LoadStateDictOptions, type LoadStateDictResult } from './state-dict.js';
