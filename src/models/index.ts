// The lecture's architectures as builders.
export { lenet5, digitNet, type LeNetOptions } from './lenet.js';
export { alexnet, zfnet, type AlexNetOptions } from './alexnet.js';
export { vgg16, vgg19, type VggOptions } from './vgg.js';
export { googlenet, type GoogLeNetOptions } from './googlenet.js';
export { resnet18, resnet34, resnet50, resnet101, resnet152, type ResNetOptions } from './resnet.js';
